/**
 * Issue 5 §6: the incremental engine's scenarios, through the real CLI. Each scenario asserts
 * exactly which nodes ran, were fresh or were restored, per stage, from `run --json`.
 *
 * The default pipeline runs at nside 16 (81 nodes at splits 3-3, about a second a run); the
 * scenarios of one project are chained, each starting from the state the previous one left.
 * Code edits, failures and the lock use a small user project with its own TypeScript executors.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

interface Counts {
  ran: number;
  fresh: number;
  restored: number;
  failed: number;
  skipped: number;
}

const ZERO: Counts = { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 };
const counts = (c: Partial<Counts>): Counts => ({ ...ZERO, ...c });
const ran = (n: number): Counts => counts({ ran: n });
const fresh = (n: number): Counts => counts({ fresh: n });
const restored = (n: number): Counts => counts({ restored: n });

/** Per stage counts from `run --json`, after checking the exit code and the outcome. */
function stagesOf(result: { code: number; stdout: string; stderr: string }, outcome = "success"): Record<string, Counts> {
  if (outcome === "success") expect(result.stderr, "stderr").not.toMatch(/^error:/m);
  expect(result.code, result.stderr).toBe(outcome === "success" ? 0 : 1);
  const summary = JSON.parse(result.stdout) as { outcome: string; stages: ({ name: string } & Counts)[] };
  expect(summary.outcome).toBe(outcome);
  return Object.fromEntries(summary.stages.map(({ name, ...c }) => [name, c]));
}

/** The default pipeline's node counts per stage at splits 3-3 (3 sims per split, 3 frequencies). */
// mollview_sim and mollview_obs draw sim 0 of each split only (override_n_sims: [0]).
const NODES_3_3 = { ps_setup: 1, make_cmb: 9, make_noise: 27, make_obs: 27, mollview_sim: 3, mollview_obs: 9, get_dataset_stats: 1, ps_analysis: 3, ps_summary: 1 };
const all = (make: (n: number) => Counts): Record<string, Counts> =>
  Object.fromEntries(Object.entries(NODES_3_3).map(([stage, n]) => [stage, make(n)]));

/** Every file under `dir` with its size and mtime: what "writes nothing" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const s = statSync(path);
    out[relative(dir, path)] = `${String(s.size)}@${String(s.mtimeMs)}`;
  }
  return out;
}

describe("the default pipeline at nside 16, run again after each kind of change", () => {
  let project: Project;
  // dataset_name is pinned: the default `${scenario.map_fields}_${scenario.nside}_${splits.name}`
  // moves every output path when nside or the splits change, and a node whose output paths
  // change is stale ("partition, seed or output paths changed") — every node would run. With a
  // fixed dataset folder the scenarios below show what depends on nside and on the splits.
  const BASE = ["run", "scenario=nside16", "dataset_name=fixed"];
  let work: string;
  let logs: string;
  const runJson = (...args: string[]): Record<string, Counts> => stagesOf(project.run([...BASE, ...args, "--json"]));
  const logFolders = (): string[] => readdirSync(logs).filter((d) => !d.startsWith("."));

  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    work = join(project.dir, "data", "fixed", "Simulation_Working");
    logs = join(project.dir, "data", "fixed", "Logs");
  });
  afterAll(() => project.cleanup());

  it("runs every node the first time", () => {
    expect(runJson()).toEqual(all(ran));
  });

  it("runs nothing when nothing changed", () => {
    expect(runJson()).toEqual(all(fresh));
  });

  it("runs nothing when an input's mtime changed but not its content", () => {
    // make_cmb's map, read by make_obs and ps_analysis: staleness compares recorded digests, so
    // the only effect is that the file-digest memo misses on the new mtime when make_cmb's
    // outputs are checked, the file is digested again, and its content is what was recorded.
    const map = join(work, "B_Make_CMB", "Train", "sim0001", "cmb_map.fits");
    const later = new Date(statSync(map).mtimeMs + 60_000);
    utimesSync(map, later, later);
    const noise = join(work, "C_Make_Noise", "Test", "sim0002", "noise_217_map.fits");
    utimesSync(noise, new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(runJson()).toEqual(all(fresh));
  });

  it("restores a deleted output from the run-cache: only its node, counted as restored", () => {
    const map = join(work, "B_Make_CMB", "Train", "sim0001", "cmb_map.fits");
    const before = readFileSync(map);
    rmSync(map);
    expect(runJson()).toEqual({ ...all(fresh), make_cmb: counts({ restored: 1, fresh: 8 }) });
    expect(readFileSync(map).equals(before)).toBe(true);
  });

  it("notices an output modified by hand: the dry run gives the reason and writes nothing; the run re-runs that node only (early cutoff)", () => {
    const map = join(work, "C_Make_Noise", "Train", "sim0001", "noise_100_map.fits");
    const original = readFileSync(map);
    const edited = Buffer.from(original);
    edited[edited.length - 7] = (edited[edited.length - 7] ?? 0) ^ 0xff;
    writeFileSync(map, edited);
    const cacheBefore = snapshot(join(project.dir, "cache"));
    const logsBefore = logFolders();

    const dry = project.run([...BASE, "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      stages: { name: string; run: number; restore: number; may_run: number; fresh: number; reasons: Record<string, number> }[];
      nodes: { id: string; action: string; reasons: string[] }[];
    };
    expect(plan.stages.find((s) => s.name === "make_noise")).toEqual({
      name: "make_noise",
      run: 1,
      restore: 0,
      may_run: 0,
      fresh: 26,
      reasons: { "output modified outside cmbflow": 1 },
    });
    // Downstream may run: it turns out fresh if the re-run writes the same bytes.
    expect(plan.nodes).toEqual([
      { id: "make_noise[split=Train,sim=1,freq=100]", action: "run", reasons: ["output modified outside cmbflow"] },
      { id: "make_obs[split=Train,sim=1,freq=100]", action: "may-run", reasons: ["upstream stale"] },
      { id: "get_dataset_stats", action: "may-run", reasons: ["upstream stale"] },
    ]);
    const text = project.run([...BASE, "-n"]);
    expect(text.stdout).toContain(`${"make_noise".padEnd(24)} run     1  restore     0  may run     0  fresh    26  (output modified outside cmbflow: 1)\n`);
    expect(text.stdout).toContain(
      "will run 1, restore 0, may run 2 (they wait on upstream nodes that will run; early cutoff skips them if those write the same bytes), of 81 nodes (dry run: nothing was written)\n",
    );
    // Nothing written: no log folder, no cache change, the edited file left as it is.
    expect(logFolders()).toEqual(logsBefore);
    expect(snapshot(join(project.dir, "cache"))).toEqual(cacheBefore);
    expect(readFileSync(map).equals(edited)).toBe(true);

    // Seeds are per node, so the re-run writes the original bytes and nothing downstream runs.
    expect(runJson()).toEqual({ ...all(fresh), make_noise: counts({ ran: 1, fresh: 26 }) });
    expect(readFileSync(map).equals(original)).toBe(true);
  });

  it("with --force make_noise runs only that stage; with --force-downstream its descendants too", () => {
    // make_noise's outputs come out byte-identical, so its dependents stay fresh.
    expect(runJson("--force", "make_noise")).toEqual({ ...all(fresh), make_noise: ran(27) });
    expect(runJson("--force", "make_noise", "--force-downstream")).toEqual({
      ps_setup: fresh(1),
      make_cmb: fresh(9),
      make_noise: ran(27),
      make_obs: ran(27),
      mollview_sim: ran(3),
      mollview_obs: ran(9),
      get_dataset_stats: ran(1),
      ps_analysis: ran(3),
      ps_summary: ran(1),
    });
  });

  it("after scenario.nside=32 runs every node that depends on nside, and ps_setup (lmax and cosmology only) stays fresh", () => {
    // make_cmb, make_noise and ps_summary read scenario.nside; make_obs, get_dataset_stats and
    // ps_analysis read the maps, which changed.
    expect(runJson("scenario.nside=32")).toEqual({ ...all(ran), ps_setup: fresh(1) });
    expect(statSync(join(work, "B_Make_CMB", "Test", "sim0000", "cmb_map.fits")).size).toBeGreaterThan(12 * 32 * 32 * 4);
  });

  it("restores every output from the store when the override is reverted: no compute", () => {
    expect(runJson()).toEqual({ ...all(restored), ps_setup: fresh(1) });
    expect(statSync(join(work, "B_Make_CMB", "Test", "sim0000", "cmb_map.fits")).size).toBeLessThan(12 * 32 * 32 * 4);
    expect(runJson()).toEqual(all(fresh));
  });

  it("in the same dataset folder, run splits=3-3 then run splits=10-10 runs the 7 new sims' per-sim nodes of each split and the reductions, nothing else (README)", () => {
    expect(runJson("splits=3-3")).toEqual(all(fresh));
    // 7 new sims per split; get_dataset_stats reduces Train, ps_summary reduces ps_analysis (Test only).
    expect(runJson("splits=10-10")).toEqual({
      ps_setup: fresh(1),
      make_cmb: counts({ ran: 21, fresh: 9 }),
      make_noise: counts({ ran: 63, fresh: 27 }),
      make_obs: counts({ ran: 63, fresh: 27 }),
      // Sim 0 of each split only: nothing new to draw.
      mollview_sim: fresh(3),
      mollview_obs: fresh(9),
      get_dataset_stats: ran(1),
      ps_analysis: counts({ ran: 7, fresh: 3 }),
      ps_summary: ran(1),
    });
    // Back to 3-3: the reductions' earlier outputs come back from the store.
    expect(runJson()).toEqual({ ...all(fresh), get_dataset_stats: restored(1), ps_summary: restored(1) });
  });
});

describe("--only, --until, --from and --sims select nodes", () => {
  let project: Project;
  const BASE = ["run", "scenario=nside16"];
  const none = Object.fromEntries(Object.keys(NODES_3_3).map((s) => [s, ZERO]));
  const runJson = (...args: string[]): Record<string, Counts> => stagesOf(project.run([...BASE, ...args, "--json"]));
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
  });
  afterAll(() => project.cleanup());

  it("writes nothing on a dry run of a new project, and shows what would run and why", () => {
    const { code, stdout } = project.run([...BASE, "--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${"make_obs".padEnd(24)} run    27  restore     0  may run     0  fresh     0  (never run: 27, upstream stale: 27)\n`);
    expect(stdout).toContain("will run 81, restore 0, may run 0, of 81 nodes (dry run: nothing was written)\n");
    expect(readdirSync(project.dir).sort()).toEqual(["cfg", "node_modules", "package.json"]);
  });

  it("--until runs a stage and its ancestors; --sims keeps only those sims", () => {
    expect(runJson("--until", "make_cmb", "--sims", "Train:0-1")).toEqual({ ...none, ps_setup: ran(1), make_cmb: ran(2) });
  });

  it("--only runs the stage alone, not its upstream", () => {
    // make_noise has no inputs; 3 sims × 3 frequencies.
    expect(runJson("--only", "make_noise", "--sims", "Train:0-1,Test:2")).toEqual({ ...none, make_noise: ran(9) });
    expect(runJson("--until", "make_obs", "--sims", "Train:0-1")).toEqual({
      ...none,
      ps_setup: fresh(1),
      make_cmb: fresh(2),
      make_noise: fresh(6),
      make_obs: ran(6),
    });
  });

  it("a run with no selection completes what the selected runs left", () => {
    expect(runJson()).toEqual({
      ps_setup: fresh(1),
      make_cmb: counts({ ran: 7, fresh: 2 }),
      make_noise: counts({ ran: 18, fresh: 9 }),
      make_obs: counts({ ran: 21, fresh: 6 }),
      mollview_sim: ran(3),
      mollview_obs: ran(9),
      get_dataset_stats: ran(1),
      ps_analysis: ran(3),
      ps_summary: ran(1),
    });
  });

  it("--from runs a stage and its descendants; --sims keeps reductions whole", () => {
    expect(runJson("--from", "ps_analysis", "--force-all")).toEqual({ ...none, ps_analysis: ran(3), ps_summary: ran(1) });
    expect(runJson("--from", "make_obs", "--sims", "Test:0", "--force-all")).toEqual({
      ...none,
      make_obs: ran(3),
      mollview_obs: ran(3),
      get_dataset_stats: ran(1),
      ps_analysis: ran(1),
      ps_summary: ran(1),
    });
  });

  it("names the flag and the stage or split at fault", () => {
    const stage = project.run([...BASE, "--only", "make_nois"]);
    expect(stage.code).toBe(2);
    expect(stage.stderr).toBe(
      'error: --only make_nois: no such stage; did you mean "make_noise"? (stages: ps_setup, make_cmb, make_noise, make_obs, mollview_sim, mollview_obs, get_dataset_stats, ps_analysis, ps_summary)\n',
    );
    const split = project.run([...BASE, "--sims", "Trian:1"]);
    expect(split.code).toBe(2);
    expect(split.stderr).toBe('error: --sims Trian:1: no split "Trian" (splits: Train, Valid, Test)\n');
  });
});

/**
 * A user project: gen → twice → total (a reduction), and other, independent, last in order.
 * gen imports a project-local helper, so the helper is part of gen's code fingerprint.
 */
const NUMBERS: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - splits: four\n  - pipeline: numbers\n  - _self_\ndataset_name: numbers\nseed: 5\n",
  "cfg/splits/four.yaml": "name: four\nTrain:\n  n_sims: 4\n",
  "cfg/pipeline/numbers.yaml": `gen:
  assets_out:
    value: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/value.txt"}
  dir_name: A_Gen
  # A sim whose node throws (-1: none).
  fail_sim: -1
  executor: stages/gen.ts#Gen
twice:
  assets_out:
    value: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/value.txt"}
  assets_in:
    value: {stage: gen}
  dir_name: B_Twice
  executor: stages/twice.ts#Twice
total:
  assets_out:
    total: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/total.txt"}
  assets_in:
    value: {stage: twice}
  dir_name: C_Total
  executor: stages/total.ts#Total
other:
  assets_out:
    note: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/note.txt"}
  dir_name: D_Other
  executor: stages/other.ts#Other
`,
  "stages/format.ts": "/** How gen writes a number. */\nexport function format(n: number): string {\n  return `${String(n)}\\n`;\n}\n",
  "stages/gen.ts": `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";
import { format } from "./format.js";

export class Gen extends BaseStageExecutor {
  readonly #failSim: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#failSim = cfg.integer(\`pipeline.\${stage}.fail_sim\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    const sim = ctx.partition.sim ?? 0;
    if (sim === this.#failSim) throw new Error(\`sim \${String(sim)} is cursed\`);
    await ctx.output<string>("value").write(format(10 + sim));
  }
}
`,
  "stages/twice.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Twice extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    const n = Number((await ctx.input<string>("value").read()).trim());
    await ctx.output<string>("value").write(\`\${String(2 * n)}\\n\`);
  }
}
`,
  "stages/total.ts": `import { BaseStageExecutor, type NodeContext, type ScanResult } from "cmbflow";

export class Total extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    return Number((await ctx.input<string>("value").read()).trim());
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const sum = results.reduce((s, r) => s + (r.value as number), 0);
    await ctx.output<string>("total").write(\`\${String(sum)}\\n\`);
  }
}
`,
  "stages/other.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Other extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("note").write(\`sim \${String(ctx.partition.sim ?? 0)}\\n\`);
  }
}
`,
};

/** A NUMBERS project made for one describe block, with its helpers. */
function numbersProject(): { project: () => Project; runJson: (...args: string[]) => Record<string, Counts>; data: () => string; total: () => string } {
  let made: Project | undefined;
  beforeAll(() => {
    made = makeProject(NUMBERS);
  });
  afterAll(() => made?.cleanup());
  const project = (): Project => {
    if (made === undefined) throw new Error("the project is made in beforeAll");
    return made;
  };
  const data = (): string => join(project().dir, "data", "numbers");
  return {
    project,
    runJson: (...args) => stagesOf(project().run(["run", ...args, "--json"])),
    data,
    total: () => readFileSync(join(data(), "C_Total", "total.txt"), "utf8"),
  };
}

describe("a user project's code edited", () => {
  const { project, runJson, total } = numbersProject();

  it("runs every node the first time, then nothing", () => {
    expect(runJson()).toEqual({ gen: ran(4), twice: ran(4), total: ran(1), other: ran(4) });
    expect(total()).toBe("92\n");
    expect(runJson()).toEqual({ gen: fresh(4), twice: fresh(4), total: fresh(1), other: fresh(4) });
  });

  it("counts a comment-only edit as a code change (files are digested as they are): that stage re-runs, and its unchanged outputs leave downstream fresh", () => {
    project().write("stages/twice.ts", `${NUMBERS["stages/twice.ts"] ?? ""}// Doubles each value.\n`);
    expect(runJson()).toEqual({ gen: fresh(4), twice: ran(4), total: fresh(1), other: fresh(4) });
  });

  it("after an edit of a module the executor imports, runs that stage and everything that depends on it", () => {
    const edited = (NUMBERS["stages/format.ts"] ?? "").replace("String(n)", "String(n + 1)");
    project().write("stages/format.ts", edited);
    const dry = project().run(["run", "--dry-run", "--json"]);
    const plan = JSON.parse(dry.stdout) as { nodes: { id: string; reasons: string[] }[] };
    expect(plan.nodes.find((n) => n.id === "gen[split=Train,sim=0]")?.reasons).toEqual(["code changed"]);
    expect(runJson()).toEqual({ gen: ran(4), twice: ran(4), total: ran(1), other: fresh(4) });
    expect(total()).toBe("100\n");
  });

  it("restores from the store, computing nothing, when the edit is reverted", () => {
    project().write("stages/format.ts", NUMBERS["stages/format.ts"] ?? "");
    expect(runJson()).toEqual({ gen: restored(4), twice: restored(4), total: restored(1), other: fresh(4) });
    expect(total()).toBe("92\n");
  });
});

describe("a node run alone over a hand-edited input", () => {
  const { project, runJson, data, total } = numbersProject();

  it("is fingerprinted from the input as it read it, so it runs again once the input is rebuilt", () => {
    expect(runJson()).toEqual({ gen: ran(4), twice: ran(4), total: ran(1), other: ran(4) });
    expect(total()).toBe("92\n");
    // twice's sim 0 output edited by hand (20 → 50), then total run alone, over it.
    writeFileSync(join(data(), "B_Twice", "Train", "sim0000", "value.txt"), "50\n");
    expect(stagesOf(project().run(["run", "--only", "total", "--force", "total", "--json"])).total).toEqual(ran(1));
    expect(total()).toBe("122\n");
    // A full run rebuilds twice's sim 0 with its old bytes; total read other bytes, so it is
    // stale too, and its first result, for these inputs, comes back from the store.
    expect(runJson()).toEqual({ gen: fresh(4), twice: { ...fresh(3), ran: 1 }, total: restored(1), other: fresh(4) });
    expect(total()).toBe("92\n");
    expect(project().run(["status"]).code).toBe(0);
  });
});

describe("a failing node, and the lock", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(NUMBERS);
  });
  afterAll(() => project.cleanup());

  it("stops at the first failure without --keep-going", () => {
    const result = project.run(["run", "pipeline.gen.fail_sim=1", "--json", "-j", "1"]);
    expect(stagesOf(result, "failed")).toEqual({
      gen: counts({ ran: 1, failed: 1, skipped: 2 }),
      twice: counts({ skipped: 4 }),
      total: counts({ skipped: 1 }),
      other: counts({ skipped: 4 }),
    });
    expect(result.stderr).toContain('error: stage "gen" failed at node gen[split=Train,sim=1]: sim 1 is cursed\n');
  });

  it("with --keep-going runs every node that does not depend on the failure", () => {
    expect(stagesOf(project.run(["run", "pipeline.gen.fail_sim=1", "--keep-going", "--json"]), "failed")).toEqual({
      gen: counts({ ran: 2, fresh: 1, failed: 1 }),
      twice: counts({ ran: 3, skipped: 1 }),
      total: counts({ skipped: 1 }),
      other: ran(4),
    });
  });

  it("after the fix, the nodes whose inputs came out the same stay fresh", () => {
    // gen's parameters changed back (fail_sim), so all of gen runs; twice's inputs for sims
    // 0, 2, 3 are byte-identical to what it ran with.
    expect(stagesOf(project.run(["run", "--json"]))).toEqual({
      gen: ran(4),
      twice: counts({ ran: 1, fresh: 3 }),
      total: ran(1),
      other: fresh(4),
    });
  });

  it("refuses a second run while the lock is held, naming the holder; readers still work", () => {
    // This test's process is alive, so a lock naming it is held.
    const lock = join(project.dir, "cache", "lock");
    const start = "2026-01-02T03:04:05.000Z";
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid, host: hostname(), start, token: "held-by-test" })}\n`);
    const before = snapshot(join(project.dir, "cache"));
    const refused = project.run(["run"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: The cache is locked by another cmbflow run: pid ${String(process.pid)} on host ${hostname()}, started ${start} (lock file ${lock}). Wait for it to finish; if no such run is active, delete the lock file.\n`,
    );
    expect(snapshot(join(project.dir, "cache"))).toEqual(before);
    const dry = project.run(["run", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("will run 0, restore 0, may run 0, of 13 nodes");
    rmSync(lock);
  });
});

describe("configurations with different dataset folders keep each other's freshness (issue 11 §2)", () => {
  let project: Project;
  // The embedded dataset_name holds the splits' name: 3-3 and 1-1 write to different folders.
  const BASE = ["run", "scenario=nside16"];
  const NODES_1_1 = { ps_setup: 1, make_cmb: 3, make_noise: 9, make_obs: 9, mollview_sim: 3, mollview_obs: 9, get_dataset_stats: 1, ps_analysis: 1, ps_summary: 1 };
  const runJson = (...args: string[]): Record<string, Counts> => stagesOf(project.run([...BASE, ...args, "--json"]));
  const working = (dataset: string): string => join(project.dir, "data", dataset, "Simulation_Working");
  /** The outputs under a dataset folder (stage logs, which every run writes, left out). */
  const outputs = (dataset: string): Record<string, string> => Object.fromEntries(Object.entries(snapshot(working(dataset))).filter(([path]) => !path.includes("/Logs/")));

  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
  });
  afterAll(() => project.cleanup());

  it("switching back and forth between two dataset folders does no work and restores nothing", () => {
    expect(runJson()).toEqual(all(ran));
    expect(runJson("splits=1-1")).toEqual(Object.fromEntries(Object.entries(NODES_1_1).map(([stage, n]) => [stage, ran(n)])));
    const before = { a: outputs("T_16_3-3"), b: outputs("T_16_1-1") };
    expect(runJson()).toEqual(all(fresh));
    expect(runJson("splits=1-1")).toEqual(Object.fromEntries(Object.entries(NODES_1_1).map(([stage, n]) => [stage, fresh(n)])));
    expect(runJson()).toEqual(all(fresh));
    expect({ a: outputs("T_16_3-3"), b: outputs("T_16_1-1") }).toEqual(before);
    const status = project.run(["status", "scenario=nside16", "splits=1-1"]);
    expect(status.stdout).toContain("all 37 nodes are fresh\n");
  }, 180_000); // five runs of the default pipeline, mollviews included, on a shared machine

  it("cache gc keeps the records and objects of every dataset on disk, and says which records it drops when a folder is gone", () => {
    const kept = project.run(["cache", "gc", "--json"]);
    expect(kept.code, kept.stderr).toBe(0);
    expect((JSON.parse(kept.stdout) as { records_dropped: unknown[] }).records_dropped).toEqual([]);
    expect(runJson()).toEqual(all(fresh));
    expect(runJson("splits=1-1")).toEqual(Object.fromEntries(Object.entries(NODES_1_1).map(([stage, n]) => [stage, fresh(n)])));

    rmSync(join(project.dir, "data", "T_16_1-1"), { recursive: true, force: true });
    const dropped = project.run(["cache", "gc"]);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain("dropped 37 records whose outputs are all gone:\n");
    expect(dropped.stdout).toContain("  ps_setup  data/T_16_1-1/Simulation_Working/A_PS_Setup/cmb_ps_theory.txt\n");
    expect(dropped.stdout).toContain("  … and 27 more (--json lists them all)\n");
    expect(runJson()).toEqual(all(fresh));
  });

  it("takes records written before locations were kept (no \"at\") as they are: nothing runs after an upgrade", () => {
    const nodesFile = join(project.dir, "cache", "state", "nodes.jsonl");
    const before = readFileSync(nodesFile, "utf8");
    const legacy = before.replace(/"at":"[0-9a-f]+",/g, "");
    expect(legacy).not.toEqual(before);
    writeFileSync(nodesFile, legacy);
    expect(runJson()).toEqual(all(fresh));
    expect(runJson("splits=1-1")).toEqual(Object.fromEntries(Object.entries(NODES_1_1).map(([stage, n]) => [stage, ran(n)])));
    expect(runJson()).toEqual(all(fresh));
  });
});

describe("records are never trusted blindly (issue 11 §3)", () => {
  let project: Project;
  const BASE = ["run", "scenario=nside16", "dataset_name=fixed"];
  const runJson = (...args: string[]): Record<string, Counts> => stagesOf(project.run([...BASE, ...args, "--json"]));
  let work: string;

  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    work = join(project.dir, "data", "fixed", "Simulation_Working");
  });
  afterAll(() => project.cleanup());

  it("a crafted record's output path outside the project is never restored to: the node runs and nothing is written there", () => {
    expect(runJson()).toEqual(all(ran));
    const nodesFile = join(project.dir, "cache", "state", "nodes.jsonl");
    const outside = join(project.dir, "..", `${relative(join(project.dir, ".."), project.dir)}-outside.fits`);
    const lines = readFileSync(nodesFile, "utf8").split("\n");
    const target = "data/fixed/Simulation_Working/B_Make_CMB/Train/sim0001/cmb_map.fits";
    const crafted = lines.map((line) => (line.includes(`"path":"${target}"`) ? line.replace(`"path":"${target}"`, `"path":${JSON.stringify(relative(project.dir, outside))}`) : line));
    expect(crafted).not.toEqual(lines);
    writeFileSync(nodesFile, crafted.join("\n"));
    try {
      expect(runJson()).toEqual({ ...all(fresh), make_cmb: counts({ ran: 1, fresh: 8 }) });
      expect(existsSync(outside)).toBe(false);
      expect(runJson()).toEqual(all(fresh));
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it("catches a same-size edit whose mtime was put back (touch -r), and after cache verify reports it the next run rebuilds the node", () => {
    const map = join(work, "B_Make_CMB", "Train", "sim0002", "cmb_map.fits");
    const original = readFileSync(map);
    // A whole-second mtime, so that putting it back restores it to the nanosecond.
    utimesSync(map, 1_700_000_000, 1_700_000_000);
    expect(runJson()).toEqual(all(fresh));
    const edited = Buffer.from(original);
    edited[edited.length - 100] = (edited[edited.length - 100] ?? 0) ^ 0xff;
    writeFileSync(map, edited);
    utimesSync(map, 1_700_000_000, 1_700_000_000);
    expect(statSync(map).size).toBe(original.length);

    const verify = project.run(["cache", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain("  modified  data/fixed/Simulation_Working/B_Make_CMB/Train/sim0002/cmb_map.fits (make_cmb[split=Train,sim=2]): recorded ");
    expect(verify.stderr).toContain("error: 1 recorded output does not match its record: cmbflow run will re-run (or restore) its node\n");
    expect(project.run(["status", "scenario=nside16", "dataset_name=fixed"]).stdout).toContain("output modified outside cmbflow: 1");
    // Re-run, not restored (a hand edit is never overwritten from the store); its rebuilt map is
    // byte-identical to the first one, so nothing downstream runs.
    expect(runJson()).toEqual({ ...all(fresh), make_cmb: counts({ ran: 1, fresh: 8 }) });
    expect(readFileSync(map).equals(original)).toBe(true);
    expect(project.run(["cache", "verify"]).code).toBe(0);
  });
});

describe("a node that returns without writing a declared output (issue 11 §3)", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject({
      ...NUMBERS,
      // other forgets sim 2's note; total's sift forgets its file.
      "stages/other.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Other extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    if (ctx.partition.sim === 2) return;
    await ctx.output<string>("note").write(\`sim \${String(ctx.partition.sim ?? 0)}\\n\`);
  }
}
`,
      "stages/total.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Total extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    return Number((await ctx.input<string>("value").read()).trim());
  }
  async sift(): Promise<void> {}
}
`,
    });
  });
  afterAll(() => project.cleanup());

  it("fails the node naming the output, and records nothing for it", () => {
    const result = project.run(["run", "--keep-going", "--json", "-j", "1"]);
    expect(stagesOf(result, "failed")).toEqual({ gen: ran(4), twice: ran(4), total: counts({ failed: 1 }), other: counts({ ran: 3, failed: 1 }) });
    const data = join(project.dir, "data", "numbers");
    expect(result.stderr).toContain(`error: stage "other" failed at node other[split=Train,sim=2]: declared output note was not written (${join(data, "D_Other", "Train", "sim0002", "note.txt")})\n`);
    expect(result.stderr).toContain(`declared output total was not written (${join(data, "C_Total", "total.txt")})\n`);
    const records = readFileSync(join(project.dir, "cache", "state", "nodes.jsonl"), "utf8");
    expect(records).not.toContain('"outputs":[]');
    expect(records).not.toContain('"node":"other[split=Train,sim=2]"');
    // Still failing on the next run: nothing was recorded as done.
    expect(stagesOf(project.run(["run", "--keep-going", "--json", "-j", "1"]), "failed")).toEqual({ gen: fresh(4), twice: fresh(4), total: counts({ failed: 1 }), other: counts({ fresh: 3, failed: 1 }) });
  });
});

describe("hard-link restores and a restored output edited by hand (issue 11 §3)", () => {
  const { project, runJson, data } = numbersProject();
  const HARDLINK = "+cache.link=hardlink";

  it("replaces the corrupted object with a good one when the node runs again, so the next restore is right", () => {
    expect(runJson(HARDLINK)).toEqual({ gen: ran(4), twice: ran(4), total: ran(1), other: ran(4) });
    const note = join(data(), "D_Other", "Train", "sim0001", "note.txt");
    rmSync(note);
    expect(runJson(HARDLINK)).toEqual({ gen: fresh(4), twice: fresh(4), total: fresh(1), other: counts({ restored: 1, fresh: 3 }) });
    expect(statSync(note).nlink).toBe(2);
    // The user makes the read-only link writable and edits it: the object is the same inode.
    chmodSync(note, 0o644);
    writeFileSync(note, "sim 9\n");
    expect(project().run(["cache", "verify"]).code).toBe(1);

    expect(runJson(HARDLINK)).toEqual({ gen: fresh(4), twice: fresh(4), total: fresh(1), other: counts({ ran: 1, fresh: 3 }) });
    expect(readFileSync(note, "utf8")).toBe("sim 1\n");
    const verified = project().run(["cache", "verify"]);
    expect(verified.stdout).toContain(": all match their digests\n");
    expect(verified.code).toBe(0);
    rmSync(note);
    expect(runJson(HARDLINK)).toEqual({ gen: fresh(4), twice: fresh(4), total: fresh(1), other: counts({ restored: 1, fresh: 3 }) });
    expect(readFileSync(note, "utf8")).toBe("sim 1\n");
  });
});
