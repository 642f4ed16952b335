import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import type { ConfigObject } from "../../src/config/types.js";
import { ValidatedConfigs } from "../../src/config/validated-memo.js";

const CONFIG = `pipeline:
  make:
    assets_out:
      out: {handler: PlainText, path_template: "{root}/{stage}/{sim}/out.txt"}
splits:
  name: one
  Train:
    n_sims: 2
`;

describe("the memo of validated configurations", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-validated-"));
    mkdirSync(join(dir, "cfg"));
    mkdirSync(join(dir, "cache"));
    writeFileSync(join(dir, "cfg", "config.yaml"), CONFIG);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (overrides: string[], knownValid?: (resolved: ConfigObject) => boolean) =>
    loadConfig({ configDir: join(dir, "cfg"), configName: "config", overrides, env: {}, ...(knownValid === undefined ? {} : { knownValid }) });

  it("remembers a configuration that passed, across instances, and not one that differs", () => {
    const loaded = load([]);
    if (!loaded.ok) throw new Error("the test config must load");
    const memo = ValidatedConfigs.open(join(dir, "cache"));
    expect(memo.has(loaded.value.resolved)).toBe(false);
    memo.add(loaded.value.resolved);
    memo.save();
    const again = ValidatedConfigs.open(join(dir, "cache"));
    expect(again.has(loaded.value.resolved)).toBe(true);
    const other = load(["splits.Train.n_sims=3"]);
    if (!other.ok) throw new Error("the override must load");
    expect(again.has(other.value.resolved)).toBe(false);
  });

  it("is what lets loading skip validation, which otherwise reports the problem", () => {
    // A bad value the validator reports; a memo that (wrongly) vouches for it shows the check was skipped.
    const bad = ["splits.Train.n_sims=-1"];
    const checked = load(bad);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error.map((d) => d.message).join("\n")).toMatch(/non-negative integer/);
    expect(load(bad, () => true).ok).toBe(true);
  });

  it("counts a damaged memo as empty, and leaves no temporary file when it cannot be written", () => {
    writeFileSync(join(dir, "cache", "validated-configs.json"), "{not json");
    const loaded = load([]);
    if (!loaded.ok) throw new Error("the test config must load");
    expect(ValidatedConfigs.open(join(dir, "cache")).has(loaded.value.resolved)).toBe(false);
    rmSync(join(dir, "cache", "validated-configs.json"));
    mkdirSync(join(dir, "cache", "validated-configs.json"));
    const memo = ValidatedConfigs.open(join(dir, "cache"));
    memo.add(loaded.value.resolved);
    memo.save();
    expect(readdirSync(join(dir, "cache"))).toEqual(["validated-configs.json"]);
  });

  it("neither writes nor throws where the cache folder is a file", () => {
    rmSync(join(dir, "cache"), { recursive: true });
    writeFileSync(join(dir, "cache"), "a file");
    const loaded = load([]);
    if (!loaded.ok) throw new Error("the test config must load");
    const memo = ValidatedConfigs.open(join(dir, "cache"));
    expect(memo.has(loaded.value.resolved)).toBe(false);
    memo.add(loaded.value.resolved);
    expect(() => memo.save()).not.toThrow();
  });

  it("writes nothing where there is no cache folder", () => {
    rmSync(join(dir, "cache"), { recursive: true });
    const loaded = load([]);
    if (!loaded.ok) throw new Error("the test config must load");
    const memo = ValidatedConfigs.open(join(dir, "cache"));
    memo.add(loaded.value.resolved);
    memo.save();
    expect(readdirSync(dir)).toEqual(["cfg"]);
  });
});
