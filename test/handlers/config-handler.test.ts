import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Config, formatConfigYaml } from "../../src/handlers/config-handler.js";
import { makeTempDir } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

describe("Config", () => {
  it("writes keys in the given order and numbers at full precision", () => {
    const text = formatConfigYaml({
      zeta: 1,
      alpha: { min: -0.1, max: 1 / 3, std: 1e-7, n: 3 },
      freqs: [30, 44.5],
      weird: [Number.NaN, -Infinity, -0, 5e-324, 1e21],
      label: "3.0",
      flag: "true",
      none: null,
      typed: Float32Array.from([0.5, 0.1]),
    });
    expect(text).toBe(
      [
        "zeta: 1",
        "alpha:",
        "  min: -0.1",
        "  max: 0.3333333333333333",
        "  std: 1e-7",
        "  n: 3",
        "freqs:",
        "  - 30",
        "  - 44.5",
        "weird:",
        "  - .nan",
        "  - -.inf",
        "  - -0",
        "  - 5e-324",
        "  - 1e+21",
        'label: "3.0"',
        'flag: "true"',
        "none: null",
        "typed:",
        "  - 0.5",
        "  - 0.10000000149011612",
        "",
      ].join("\n"),
    );
  });

  it("round-trips 1000 random doubles bit for bit, and strings that look like numbers stay strings", async () => {
    let seed = 99;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const values = Array.from({ length: 1000 }, () => (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300));
    const path = join(dir, "stats.yaml");
    const data = { values, nested: { a: { b: [1, "2", "0x10", "1e3", "~", "null"] } }, special: [Number.NaN, Infinity, -0] };
    await Config.write(path, data);
    const back = await Config.read(path);
    expect(Object.keys(back)).toEqual(["values", "nested", "special"]);
    const got = back.values as number[];
    expect(got.every((v, i) => Object.is(v, values[i]))).toBe(true);
    expect(back.nested).toEqual(data.nested);
    expect((back.special as number[]).map((v) => Object.is(v, -0) ? "-0" : String(v))).toEqual(["NaN", "Infinity", "-0"]);
  });

  it("reads an empty file as {} and anchors/aliases as plain values", async () => {
    const empty = join(dir, "empty.yaml");
    await writeFile(empty, "# nothing\n");
    expect(await Config.read(empty)).toEqual({});
    const anchors = join(dir, "anchors.yaml");
    await writeFile(anchors, "base: &b {nside: 16}\nother: *b\n");
    expect(await Config.read(anchors)).toEqual({ base: { nside: 16 }, other: { nside: 16 } });
  });

  it("writes a repeated object twice rather than as an alias", async () => {
    const shared = { lmax: 47 };
    const path = join(dir, "shared.yaml");
    await Config.write(path, { a: shared, b: shared });
    expect(await readFile(path, "utf8")).toBe("a:\n  lmax: 47\nb:\n  lmax: 47\n");
  });

  it("reports missing, malformed and non-mapping files with line and column", async () => {
    const missing = join(dir, "missing.yaml");
    await expect(Config.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    const dup = join(dir, "dup.yaml");
    await writeFile(dup, "a: 1\nb: 2\na: 3\n");
    await expect(Config.read(dup)).rejects.toThrow(`${dup}: invalid YAML at line 3, column 1: Map keys must be unique`);
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "a: [1, 2\nb: 3\n");
    await expect(Config.read(broken)).rejects.toThrow(
      `${broken}: invalid YAML at line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
    const list = join(dir, "list.yaml");
    await writeFile(list, "- 1\n- 2\n");
    await expect(Config.read(list)).rejects.toThrow(`${list}: expected a YAML mapping at the top level, found a sequence`);
    await expect(Config.write(join(dir, "x"), [1] as unknown as Record<string, unknown>, { finalPath: "/o/c.yaml" })).rejects.toThrow(
      "/o/c.yaml: Config expects a plain object, got array",
    );
  });
});
