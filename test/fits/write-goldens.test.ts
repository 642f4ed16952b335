import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeCl, encodeMap } from "../../src/fits/index.js";
import type { WritableMap } from "../../src/fits/index.js";
import { reorderMap } from "../../src/healpix/pixel.js";
import { encodeOptions, fixtureBytes, formula, manifest, masked } from "./golden-data.js";
import type { MapCase } from "./golden-data.js";

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Rebuilds a case's input maps exactly as fits.py handed them to healpy. */
function inputMaps(c: MapCase): WritableMap[] {
  const npix = 12 * c.nside * c.nside;
  return c.maps.map(({ kind, k }, j) => {
    let m = formula(kind, npix, k);
    if (c.mask === true && j === 0) m = masked(m as Float32Array | Float64Array);
    if (c.reorder === "r2n") m = reorderMap(m as Float32Array | Float64Array, "RING", "NESTED");
    return m;
  });
}

/** First differing 80-byte card of two files, for a readable failure. */
function firstDifference(ours: Uint8Array, theirs: Uint8Array): string {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] !== theirs[i]) {
      const at = i - (i % 80);
      const show = (b: Uint8Array): string => Buffer.from(b.subarray(at, at + 80)).toString("latin1");
      return `byte ${i}: ours ${JSON.stringify(show(ours))} healpy ${JSON.stringify(show(theirs))}`;
    }
  }
  return "identical";
}

describe(`writeMap output is byte-identical to healpy ${manifest.healpy} write_map`, () => {
  for (const c of manifest.maps) {
    it(`${c.name} (${JSON.stringify(c.options).slice(0, 80)})`, () => {
      const maps = inputMaps(c);
      const ours = encodeMap(maps.length === 1 ? maps[0]! : maps, encodeOptions(c));
      if (c.file !== undefined) expect(firstDifference(ours, fixtureBytes(c.file))).toBe("identical");
      expect(ours.length).toBe(c.bytes);
      expect(sha256(ours)).toBe(c.sha256);
    });
  }
});

describe(`writeCl output is byte-identical to healpy ${manifest.healpy} write_cl`, () => {
  for (const c of manifest.cls) {
    it(c.name, () => {
      const cls = c.spectra.map(({ kind, k }) => formula(kind, c.length, k) as Float32Array | Float64Array);
      const ours = encodeCl(cls.length === 1 ? cls[0]! : cls);
      if (c.file !== undefined) expect(firstDifference(ours, fixtureBytes(c.file))).toBe("identical");
      expect(ours.length).toBe(c.bytes);
      expect(sha256(ours)).toBe(c.sha256);
    });
  }
});
