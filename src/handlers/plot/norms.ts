/**
 * Norms: how a pixel value becomes a position t ∈ [0, 1] on the colour bar, given the shown range
 * [min, max]. Values outside the range are clipped to its ends, as healpy's mollview does.
 *
 * - `lin`: t = (v − min)/(max − min).
 * - `log`: t = (ln v − ln min)/(ln max − ln min); needs 0 < min; values ≤ 0 take the low end.
 * - `hist`: histogram equalisation: t is the fraction of the map's (valid, in-range) pixels whose
 *   value is at most v, so every colour covers about the same area.
 * - `symlog`: linear near zero, logarithmic in |v| further out: f(v) = sign(v)·log10(1 + |v|/c),
 *   t = (f(v) − f(min))/(f(max) − f(min)), with c = max(|min|, |max|)/100.
 */

/** The norms cmbflow knows. */
export type NormName = "lin" | "log" | "hist" | "symlog";

/** Every {@link NormName}, in the order messages list them. */
export const NORM_NAMES: readonly NormName[] = ["lin", "log", "hist", "symlog"];

/** A value → [0, 1] map for one range and, for `hist`, one map. */
export type Norm = (value: number) => number;

/** True when `text` names a norm. */
export function isNormName(text: string): text is NormName {
  return (NORM_NAMES as readonly string[]).includes(text);
}

const clip01 = (t: number): number => (t < 0 ? 0 : t > 1 ? 1 : t);

/**
 * The norm `name` over [min, max]. `values` are the map's valid pixels (used by `hist` only).
 * Callers check `log`'s 0 < min first; a zero-width range maps everything to 0 (matplotlib's choice).
 */
export function makeNorm(name: NormName, min: number, max: number, values: ArrayLike<number>): Norm {
  if (!(max > min)) return () => 0;
  switch (name) {
    case "lin":
      return (v) => clip01((v - min) / (max - min));
    case "log": {
      const a = Math.log(min);
      const span = Math.log(max) - a;
      return (v) => (v > 0 ? clip01((Math.log(v) - a) / span) : 0);
    }
    case "symlog": {
      const c = Math.max(Math.abs(min), Math.abs(max)) / 100;
      const f = (v: number): number => Math.sign(v) * Math.log10(1 + Math.abs(v) / c);
      const a = f(min);
      const span = f(max) - a;
      return (v) => clip01((f(v) - a) / span);
    }
    case "hist": {
      const sorted = Float64Array.from(values).filter((v) => v >= min && v <= max);
      sorted.sort();
      const n = sorted.length;
      return (v) => {
        if (n === 0) return 0;
        // Count of values ≤ v by binary search.
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((sorted[mid] ?? 0) <= v) lo = mid + 1;
          else hi = mid;
        }
        return clip01(lo / n);
      };
    }
    default: {
      const unknown: never = name;
      throw new Error(`Internal error: unknown norm ${String(unknown)}`);
    }
  }
}
