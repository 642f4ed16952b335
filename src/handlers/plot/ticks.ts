/**
 * Axis scales and tick marks for plots.
 *
 * | symbol       | meaning                                                        |
 * |--------------|----------------------------------------------------------------|
 * | [min, max]   | data range shown on the axis (data units; > 0 on a log axis)    |
 * | step         | linear tick spacing, 1, 2, 2.5 or 5 × 10^k                      |
 * | k            | decade exponent; log ticks sit at 10^k (major) and m·10^k (minor, m = 2…9) |
 * | target       | wanted number of labelled ticks, from the axis length in pixels |
 */
import type { RichText } from "./canvas.js";

/** A tick: position in data units, `label` when it is labelled (major), none for minor ticks. */
export interface Tick {
  readonly value: number;
  readonly label?: RichText;
}

/** The ticks of an axis and, for linear axes with large or small numbers, the common factor `×10^k` shown once. */
export interface AxisTicks {
  readonly ticks: readonly Tick[];
  readonly multiplier?: RichText;
}

/** How labels are drawn: the scale of ordinary text and of superscripts. */
export interface LabelStyle {
  readonly scale: number;
  readonly superscriptScale: number;
}

function superscript(base: string, exponent: number, style: LabelStyle): RichText {
  return [
    { text: base, scale: style.scale, raise: 0 },
    { text: String(exponent), scale: style.superscriptScale, raise: 4 * style.scale },
  ];
}

/** `10^k` with a raised exponent. */
export function powerOfTenLabel(k: number, style: LabelStyle): RichText {
  return superscript("10", k, style);
}

/** The smallest of 1, 2, 2.5, 5, 10 × 10^k that is at least `raw` (> 0): a tick step people read easily. */
export function niceStep(raw: number): number {
  const k = Math.floor(Math.log10(raw));
  const unit = 10 ** k;
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * unit >= raw * (1 - 1e-9)) return m * unit;
  }
  return 10 * unit;
}

/** Decimals needed to print multiples of `step` exactly (2.5 × 10^k needs one more). */
function decimalsFor(step: number): number {
  const k = Math.floor(Math.log10(step) + 1e-9);
  const mantissa = step / 10 ** k;
  const extra = Math.abs(mantissa - Math.round(mantissa)) > 1e-6 ? 1 : 0;
  return Math.max(0, -k + extra);
}

function formatFixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return /^-0(?:\.0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * Linear ticks over [min, max] at a nice step giving about `target` labels. When the largest
 * tick is ≥ 10^5 or < 10^-3 (and not 0), labels show value / 10^k and `multiplier` is `×10^k`.
 */
export function linearTicks(min: number, max: number, target: number, style: LabelStyle): AxisTicks {
  const step = niceStep((max - min) / Math.max(1, target));
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(i * step);
  const biggest = Math.max(...values.map(Math.abs), 0);
  let k = 0;
  if (biggest >= 1e5 || (biggest > 0 && biggest < 1e-3)) k = Math.floor(Math.log10(biggest));
  const factor = 10 ** k;
  const decimals = decimalsFor(step / factor);
  const ticks = values.map((value) => ({
    value,
    label: [{ text: formatFixed(value / factor, decimals), scale: style.scale, raise: 0 }],
  }));
  if (k === 0) return { ticks };
  return { ticks, multiplier: superscript("\u00d710", k, style) };
}

/** A compact label for one value on a log axis that spans less than a few decades: `200`, `0.05`, `2×10^-5`. */
function logMinorLabel(m: number, k: number, style: LabelStyle): RichText {
  if (k >= -3 && k <= 4) {
    const text = formatFixed(m * 10 ** k, Math.max(0, -k));
    return [{ text, scale: style.scale, raise: 0 }];
  }
  return superscript(`${m}\u00d710`, k, style);
}

/**
 * Log ticks over [min, max] (both > 0): majors at powers of ten labelled `10^k` (every n-th
 * decade when there are more than `target`), minors at 2…9 × 10^k. When fewer than two powers of
 * ten fall in range, 1, 2 and 5 × 10^k are labelled instead (every m × 10^k when that gives fewer
 * than three labels) so the axis still reads.
 */
export function logTicks(min: number, max: number, target: number, style: LabelStyle): AxisTicks {
  const kLo = Math.floor(Math.log10(min) + 1e-9);
  const kHi = Math.ceil(Math.log10(max) - 1e-9);
  const inRange = (v: number): boolean => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const decades: number[] = [];
  for (let k = kLo; k <= kHi; k++) if (inRange(10 ** k)) decades.push(k);
  const ticks: Tick[] = [];
  if (decades.length >= 2) {
    const every = Math.max(1, Math.ceil(decades.length / Math.max(1, target)));
    for (let k = kLo; k <= kHi; k++) {
      for (let m = 1; m <= 9; m++) {
        const value = m * 10 ** k;
        if (!inRange(value)) continue;
        if (m === 1 && k % every === 0) ticks.push({ value, label: powerOfTenLabel(k, style) });
        else if (m === 1 || decades.length <= 12) ticks.push({ value });
      }
    }
    return { ticks };
  }
  const candidates: { m: number; k: number }[] = [];
  for (let k = kLo; k <= kHi; k++) {
    for (let m = 1; m <= 9; m++) if (inRange(m * 10 ** k)) candidates.push({ m, k });
  }
  // Label 1, 2, 5 × 10^k; when that leaves fewer than three labels (less than a decade shown), label every tick.
  const labelAll = candidates.filter(({ m }) => m === 1 || m === 2 || m === 5).length < 3;
  for (const { m, k } of candidates) {
    const value = m * 10 ** k;
    if (labelAll || m === 1 || m === 2 || m === 5) ticks.push({ value, label: logMinorLabel(m, k, style) });
    else ticks.push({ value });
  }
  return { ticks };
}
