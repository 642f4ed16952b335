import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { parseTemplate } from "../../src/config/interpolation-syntax.js";
import { loadOk } from "./helpers.js";

const FIXTURE = new URL("../fixtures/config/basic", import.meta.url).pathname;

/** A primary config with the base splits and pipeline and `body` as its own keys. */
function withBody(body: string): Record<string, string> {
  return { "config.yaml": `defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\n${body}` };
}

describe("interpolation syntax", () => {
  it("splits text and interpolations", () => {
    expect(parseTemplate("a_${b.c}_d")).toEqual({
      ok: true,
      value: [
        { kind: "text", text: "a_" },
        { kind: "interpolation", raw: "${b.c}", expression: { kind: "reference", dots: 0, segments: ["b", "c"] } },
        { kind: "text", text: "_d" },
      ],
    });
  });

  it("reads relative references, list indices, resolver calls and escapes", () => {
    expect(parseTemplate("${..x[0]}")).toMatchObject({ ok: true, value: [{ expression: { dots: 2, segments: ["x", "0"] } }] });
    expect(parseTemplate("${oc.env:HOME,'a,b'}")).toMatchObject({
      ok: true,
      value: [{ expression: { kind: "resolver", name: "oc.env", args: [{ value: "HOME" }, { value: "a,b" }] } }],
    });
    expect(parseTemplate("\\${x}")).toEqual({ ok: true, value: [{ kind: "text", text: "${x}" }] });
  });

  it("reports unclosed and empty interpolations", () => {
    expect(parseTemplate("a ${b")).toEqual({ ok: false, error: 'unclosed interpolation "${b"' });
    expect(parseTemplate("${}")).toEqual({ ok: false, error: 'empty interpolation in "${}"' });
  });
});

describe("interpolation", () => {
  it("builds strings from several interpolations and keeps the type of whole-value ones", () => {
    const result = loadConfig({ configDir: FIXTURE, configName: "config", overrides: [], env: {} });
    if (!result.ok) throw new Error("fixture should load");
    const { resolved, raw } = result.value;
    expect(raw["dataset_name"]).toBe("${map_fields}_${scenario.nside}_${splits.name}");
    expect(resolved["dataset_name"]).toBe("IQU_128_3-3");
    const pipeline = resolved["pipeline"] as Record<string, Record<string, unknown>>;
    expect(pipeline["make_cmb"]?.["nside"]).toBe(128);
    expect(pipeline["make_noise"]?.["freqs"]).toEqual([30, 44, 70]);
    expect(pipeline["ps_analysis"]?.["epochs"]).toEqual([1, 2]);
    const splits = resolved["splits"] as Record<string, Record<string, unknown>>;
    expect(splits["Valid"]?.["n_sims_cap"]).toBeNull();
  });

  it("resolves interpolations inside lists, through other interpolations", () => {
    const result = loadConfig({ configDir: FIXTURE, configName: "config", overrides: ["run_inference_on=Valid"], env: {} });
    if (!result.ok) throw new Error("fixture should load");
    const pipeline = result.value.resolved["pipeline"] as Record<string, Record<string, unknown>>;
    // ps_analysis.splits: [${splits.run_inference_on}] → splits.run_inference_on: ${run_inference_on} → Valid
    expect(pipeline["ps_analysis"]?.["splits"]).toEqual(["Valid"]);
  });

  it("resolves whole mappings and keys inside interpolated mappings", () => {
    const config = loadOk(withBody("base:\n  a: 1\n  b: ${base.a}\ncopy: ${base}\nfrom_copy: ${copy.b}\n"));
    expect(config.resolved["copy"]).toEqual({ a: 1, b: 1 });
    expect(config.resolved["from_copy"]).toBe(1);
  });

  it("resolves relative references from the mapping that holds the value", () => {
    const config = loadOk(withBody("outer:\n  x: 2\n  inner:\n    y: ${.z}\n    z: 3\n    up: ${..x}\n"));
    expect(config.resolved["outer"]).toEqual({ x: 2, inner: { y: 3, z: 3, up: 2 } });
  });

  it("turns numbers, booleans and null into text inside strings", () => {
    const config = loadOk(withBody("n: 4\nt: true\nz: null\ns: ${n}-${t}-${z}\n"));
    expect(config.resolved["s"]).toBe("4-true-null");
  });

  it("keeps escaped \\${ literal", () => {
    const config = loadOk(withBody("a: \\${not.this}\nb: '\\${x} and ${a}'\n"));
    expect(config.resolved["a"]).toBe("${not.this}");
    expect(config.resolved["b"]).toBe("${x} and ${not.this}");
  });

  it("reads environment variables, with defaults typed as YAML reads them", () => {
    const body = "home: ${oc.env:HOME_DIR}\nroot: ${oc.env:MISSING,./data}\ncap: ${oc.env:MISSING,null}\nn: ${oc.env:MISSING,4}\nq: ${oc.env:MISSING,'4'}\n";
    const config = loadOk(withBody(body), [], { HOME_DIR: "/home/me" });
    expect(config.resolved).toMatchObject({ home: "/home/me", root: "./data", cap: null, n: 4, q: "4" });
  });

  it("allows interpolations in resolver defaults", () => {
    const config = loadOk(withBody("fallback: /srv\nroot: ${oc.env:MISSING,${fallback}/data}\n"));
    expect(config.resolved["root"]).toBe("/srv/data");
  });

  it("takes the data root from CMBFLOW_DATA, else ./data", () => {
    const env = { CMBFLOW_DATA: "/big/disk" };
    const fromEnv = loadConfig({ configDir: FIXTURE, configName: "config", overrides: [], env });
    const fallback = loadConfig({ configDir: FIXTURE, configName: "config", overrides: [], env: {} });
    if (!fromEnv.ok || !fallback.ok) throw new Error("fixture should load");
    expect(fromEnv.value.resolved["local_system"]).toEqual({ datasets_root: "/big/disk", assets_dir: "/big/disk/assets" });
    expect(fallback.value.resolved["local_system"]).toEqual({ datasets_root: "./data", assets_dir: "./data/assets" });
  });

  it("fills local_system.datasets_root from CMBFLOW_DATA when no file sets it", () => {
    expect(loadOk({}, [], { CMBFLOW_DATA: "/d" }).resolved["local_system"]).toEqual({ datasets_root: "/d" });
    expect(loadOk({}).resolved["local_system"]).toEqual({ datasets_root: "./data" });
  });
});
