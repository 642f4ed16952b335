/** Per-frequency detector parameters from `scenario.detectors.<freq>`. */
import type { Cfg } from "../core/cfg.js";
import { arcmin2rad } from "../healpix/beams.js";

/** One channel: beam and noise depth. */
export interface Detector {
  readonly freq: string;
  /** Beam FWHM in radians. */
  readonly fwhmRad: number;
  /** White-noise depth of the I map, μK·arcmin. */
  readonly depthUkArcmin: number;
}

/** Reads the detectors of `freqs` (recorded as config reads of the stage). */
export function readDetectors(cfg: Cfg, freqs: readonly string[] | null): Map<string, Detector> {
  const out = new Map<string, Detector>();
  for (const freq of freqs ?? []) {
    out.set(freq, {
      freq,
      fwhmRad: arcmin2rad(cfg.number(`scenario.detectors.${freq}.fwhm_arcmin`)),
      depthUkArcmin: cfg.number(`scenario.detectors.${freq}.depth_ukarcmin`),
    });
  }
  return out;
}

/**
 * White-noise depth of the Q and U maps of `freq`, μK·arcmin: `scenario.detectors.<freq>.depth_pol_ukarcmin`
 * when given, else √2 × the I depth (a detector pair splits its photons between the two
 * polarisations, so each Stokes parameter gets half the weight).
 */
export function polDepth(cfg: Cfg, detector: Detector): number {
  const key = `scenario.detectors.${detector.freq}.depth_pol_ukarcmin`;
  return cfg.has(key) ? cfg.number(key) : Math.SQRT2 * detector.depthUkArcmin;
}

/** The detector of a node's frequency; an Error when the node has none. */
export function detectorFor(detectors: ReadonlyMap<string, Detector>, freq: string | undefined, stage: string): Detector {
  const detector = freq === undefined ? undefined : detectors.get(freq);
  if (detector === undefined) throw new Error(`stage "${stage}": no detector for frequency ${String(freq)}`);
  return detector;
}
