/**
 * Interoperability: healpy (spawned /usr/bin/python3) reads the maps and spectra we write and
 * gets exactly our values. Each array is compared by the SHA-256 of its little-endian bytes.
 * Skipped, with the reason in the suite title, where healpy cannot be imported.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCl, writeMap } from "../../src/fits/index.js";
import type { NumericArray } from "../../src/fits/index.js";
import { formula, masked } from "./golden-data.js";

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import healpy"], { encoding: "utf8" });
const healpyMissing =
  probe.status === 0
    ? undefined
    : (probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit status ${String(probe.status)}`);
const title = healpyMissing
  ? `healpy reads our files — SKIPPED: \`${PYTHON} -c "import healpy"\` failed (${healpyMissing})`
  : "healpy reads our files";

/** Reads every file with healpy and prints, per file, the dtype and SHA-256 of each field (little-endian) and a few header values. */
const READER = String.raw`
import hashlib, json, sys, warnings
import numpy as np, healpy as hp
warnings.simplefilter("ignore")
out = {}
for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    if kind == "map":
        m, h = hp.read_map(path, field=None, nest=None, dtype=None, h=True)
        h = dict(h)
        arrays = [m] if m.ndim == 1 else list(m)
        extra = {k: h.get(k) for k in ("ORDERING", "COORDSYS", "NSIDE", "TUNIT1", "OBJECT")}
    else:
        c = hp.read_cl(path)
        arrays = [c] if c.ndim == 1 else list(c)
        extra = {}
    le = [np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")) for a in arrays]
    out[path] = {"dtypes": [a.dtype.str for a in le], "sha": [hashlib.sha256(a.tobytes()).hexdigest() for a in le], **extra}
print(json.dumps(out))
`;

interface Seen {
  dtypes: string[];
  sha: string[];
  ORDERING?: string;
  COORDSYS?: string;
  NSIDE?: number;
  TUNIT1?: string;
  OBJECT?: string;
}

function sha(a: NumericArray): string {
  return createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
}

describe.skipIf(healpyMissing !== undefined)(title, () => {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-fits-interop-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("maps of every layout and spectra come back identical", async () => {
    const e16 = formula("float32", 3072, 0);
    const d8 = [0, 1, 2].map((k) => formula("float64", 768, k) as Float64Array);
    const partial = [masked(formula("float32", 3072, 0) as Float32Array), formula("float32", 3072, 1) as Float32Array];
    const j8 = formula("int32", 768, 0);
    const k8 = formula("int64", 768, 0);
    const cl6 = [0, 1, 2, 3, 4, 5].map((k) => formula("float64", 41, k) as Float64Array);
    const cl1 = formula("float32", 20, 0) as Float32Array;

    const files: [kind: "map" | "cl", path: string, want: NumericArray[], dtype: string][] = [
      ["map", join(dir, "e16.fits"), [e16], "<f4"],
      ["map", join(dir, "e16.fits.gz"), [e16], "<f4"],
      ["map", join(dir, "d8.fits"), d8, "<f8"],
      ["map", join(dir, "partial.fits"), [partial[0]!, masked(partial[1]!)], "<f4"],
      ["map", join(dir, "j8.fits"), [j8], "<i4"],
      ["map", join(dir, "k8.fits"), [k8], "<i8"],
      ["cl", join(dir, "cl6.fits"), cl6, "<f8"],
      ["cl", join(dir, "cl1.fits"), [cl1], "<f4"],
    ];
    await writeMap(files[0]![1], e16);
    await writeMap(files[1]![1], e16);
    await writeMap(files[2]![1], d8, { nest: true, coord: "G", columnUnits: ["uK", "uK", "uK"] });
    await writeMap(files[3]![1], partial, { partial: true });
    await writeMap(files[4]![1], j8);
    await writeMap(files[5]![1], k8);
    await writeCl(files[6]![1], cl6);
    await writeCl(files[7]![1], cl1);

    const run = spawnSync(PYTHON, ["-c", READER, ...files.flatMap(([kind, path]) => [kind, path])], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const seen = JSON.parse(run.stdout) as Record<string, Seen>;
    for (const [, path, want, dtype] of files) {
      const s = seen[path]!;
      expect({ path, dtypes: s.dtypes, sha: s.sha }).toEqual({ path, dtypes: want.map(() => dtype), sha: want.map(sha) });
    }
    expect(seen[files[2]![1]]).toMatchObject({ ORDERING: "NESTED", COORDSYS: "G", NSIDE: 8, TUNIT1: "uK" });
    expect(seen[files[3]![1]]).toMatchObject({ OBJECT: "PARTIAL", NSIDE: 16 });
  });
});
