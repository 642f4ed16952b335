/**
 * Compile-time benchmark (issue: "compiling and expanding 8 stages over 3 splits × 10,000 sims
 * (~100k nodes) takes under 1 s"). Writes such a pipeline to a temporary config folder, then
 * times loading the config, building the stage graph and expanding the node graph, best of 5.
 * Reference in the same run: parsing the same YAML files with the yaml package alone.
 *
 *   npx tsx scripts/bench-compile.ts [sims-per-split]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse } from "yaml";
import { loadConfig } from "../src/config/index.js";
import { compilePipeline } from "../src/graph/compile.js";

const sims = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "cmbflow-bench-compile-"));
mkdirSync(join(dir, "splits"));
mkdirSync(join(dir, "pipeline"));
writeFileSync(join(dir, "config.yaml"), "defaults:\n  - splits: big\n  - pipeline: big\n  - _self_\n");
writeFileSync(join(dir, "splits", "big.yaml"), `name: big\nTrain: {n_sims: ${String(sims)}}\nValid: {n_sims: ${String(sims)}}\nTest: {n_sims: ${String(sims)}}\n`);
const perSim = (name: string, input?: string, extra = ""): string =>
  `${name}:\n  assets_out:\n    out: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/${name}.fits"}\n` +
  (input === undefined ? "" : `  assets_in:\n    inp: {stage: ${input}, orig_name: out}\n`) +
  `  dir_name: ${name}\n${extra}`;
const single = (name: string, input: string, extra = ""): string =>
  `${name}:\n  assets_out:\n    out: {handler: Config, path_template: "{root}/{stage}/${name}.yaml"}\n  assets_in:\n    inp: {stage: ${input}, orig_name: out}\n  dir_name: ${name}\n${extra}`;
const pipeline = [
  `ps_setup:\n  assets_out:\n    out: {handler: TextPowerSpectrum, path_template: "{root}/{stage}/ps.txt"}\n  dir_name: ps_setup\n`,
  perSim("make_cmb", "ps_setup"),
  perSim("make_noise"),
  perSim("make_obs", "make_cmb"),
  single("get_dataset_stats", "make_obs", "  splits: [train]\n"),
  perSim("ps_analysis", "make_obs", "  splits: [test]\n"),
  perSim("predict", "make_obs", "  splits: [test]\n"),
  single("ps_summary", "ps_analysis", "  splits: [test]\n"),
].join("");
writeFileSync(join(dir, "pipeline", "big.yaml"), pipeline);

const handlers = new Set(["HealpyMap", "Config", "TextPowerSpectrum"]);
const times = { yaml: Infinity, load: Infinity, compile: Infinity };
let nodeCount = 0;
let edgeCount = 0;
for (let run = 0; run < 5; run++) {
  let t = performance.now();
  for (const f of ["config.yaml", "splits/big.yaml", "pipeline/big.yaml"]) parse(readFileSync(join(dir, f), "utf8"));
  times.yaml = Math.min(times.yaml, performance.now() - t);
  t = performance.now();
  const loaded = loadConfig({ configDir: dir, configName: "config", overrides: [] });
  if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
  const t1 = performance.now();
  const compiled = compilePipeline(loaded.value, { handlers });
  if (!compiled.ok) throw new Error(compiled.error.map((d) => d.message).join("\n"));
  const t2 = performance.now();
  times.load = Math.min(times.load, t1 - t);
  times.compile = Math.min(times.compile, t2 - t1);
  nodeCount = compiled.value.nodes.size;
  edgeCount = compiled.value.nodes.deps.length;
}
rmSync(dir, { recursive: true, force: true });
const total = times.load + times.compile;
console.log(`pipeline: 8 stages, 3 splits × ${String(sims)} sims → ${String(nodeCount)} nodes, ${String(edgeCount)} node edges`);
console.log(`yaml parse only (reference): ${times.yaml.toFixed(1)} ms`);
console.log(`load config:                 ${times.load.toFixed(1)} ms`);
console.log(`stage graph + expansion:     ${times.compile.toFixed(1)} ms`);
console.log(`total:                       ${total.toFixed(1)} ms  (target < 1000 ms; ${(total / times.yaml).toFixed(1)}× a bare YAML parse)`);
