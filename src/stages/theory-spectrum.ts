/**
 * A ΛCDM-like temperature power spectrum from a few numbers — a documented analytic shape,
 * not a Boltzmann code, so the default pipeline needs no external data.
 *
 * | symbol | meaning                                         | default config |
 * |--------|-------------------------------------------------|----------------|
 * | D_l    | l(l+1)C_l/2π, μK²                               |                |
 * | P      | Sachs–Wolfe plateau of D_l                      | 1000           |
 * | H      | height of the first acoustic peak of D_l        | 5700           |
 * | l_p    | position of the first acoustic peak             | 220            |
 * | l_d    | damping scale                                    | 1400           |
 *
 *   D_l = P + (H − P) · r(l) · a(l) · d(l) / (r(l_p) · d(l_p))
 *   r(l) = l² / (l² + (0.6 l_p)²)                       rise into the acoustic regime
 *   a(l) = 0.35 + 0.65 · ½(1 + cos(π (l − l_p) / (1.4 l_p)))   peaks every ~2.8 l_p / 2 multipoles
 *   d(l) = exp(−(l / l_d)²)                              diffusion damping
 *
 * so D_{l_p} = H, the first peak is at l_p, the next peaks are lower, and D_l → P at low l.
 * C_0 = C_1 = 0 (no monopole or dipole).
 */

/** Parameters of {@link theoryCl}. */
export interface TheoryShape {
  readonly plateauDl: number;
  readonly peakDl: number;
  readonly peakEll: number;
  readonly dampingEll: number;
}

/** D_l of the shape at multipole `l` (μK²). */
export function theoryDl(l: number, shape: TheoryShape): number {
  const { plateauDl: p, peakDl: h, peakEll: lp, dampingEll: ld } = shape;
  const rise = (x: number): number => (x * x) / (x * x + (0.6 * lp) ** 2);
  const acoustic = 0.35 + 0.65 * 0.5 * (1 + Math.cos((Math.PI * (l - lp)) / (1.4 * lp)));
  const damp = (x: number): number => Math.exp(-((x / ld) ** 2));
  return p + ((h - p) * rise(l) * acoustic * damp(l)) / (rise(lp) * damp(lp));
}

/** C_l for l = 0 … lmax (μK²), with C_0 = C_1 = 0. */
export function theoryCl(lmax: number, shape: TheoryShape): Float64Array {
  const cl = new Float64Array(lmax + 1);
  for (let l = 2; l <= lmax; l++) cl[l] = (2 * Math.PI * theoryDl(l, shape)) / (l * (l + 1));
  return cl;
}

/**
 * Polarisation spectra beside {@link theoryCl}, again a documented analytic shape:
 *
 * | symbol | meaning                                              | nside64_iqu |
 * |--------|------------------------------------------------------|-------------|
 * | E, l_E | peak height (μK²) and position of D_l^EE             | 40, 1000    |
 * | B, l_B | peak height (μK²) and position of D_l^BB (lensing-like) | 0.1, 1000 |
 * | ρ      | largest TT–EE correlation, |ρ| < 1                    | 0.5         |
 * | l_ρ    | period of the sign changes of TE, in multipoles       | 300         |
 *
 *   D_l^XX = X · g(l / l_X),  g(x) = x² · exp(1 − x²)       (g(1) = 1, the peak)
 *   C_l^TE = ρ · cos(2π l / l_ρ) · √(C_l^TT · C_l^EE)
 *
 * |C^TE| ≤ ρ √(C^TT C^EE) with ρ < 1 keeps every 2×2 (T, E) covariance positive definite, as
 * synalm needs. C_0 = C_1 = 0 for all four.
 */
export interface PolarisationShape {
  readonly eePeakDl: number;
  readonly eePeakEll: number;
  readonly bbPeakDl: number;
  readonly bbPeakEll: number;
  readonly teCorrelation: number;
  readonly tePeriodEll: number;
}

/** TT, EE, BB, TE (healpy's `new=True` order) for l = 0 … lmax, μK². */
export function theoryClPol(lmax: number, shape: TheoryShape, pol: PolarisationShape): [Float64Array, Float64Array, Float64Array, Float64Array] {
  if (!(Math.abs(pol.teCorrelation) < 1)) throw new RangeError(`te_correlation must be between −1 and 1 (exclusive), got ${String(pol.teCorrelation)}`);
  const tt = theoryCl(lmax, shape);
  const ee = new Float64Array(lmax + 1);
  const bb = new Float64Array(lmax + 1);
  const te = new Float64Array(lmax + 1);
  const g = (x: number): number => x * x * Math.exp(1 - x * x);
  for (let l = 2; l <= lmax; l++) {
    const toCl = (2 * Math.PI) / (l * (l + 1));
    ee[l] = toCl * pol.eePeakDl * g(l / pol.eePeakEll);
    bb[l] = toCl * pol.bbPeakDl * g(l / pol.bbPeakEll);
    te[l] = pol.teCorrelation * Math.cos((2 * Math.PI * l) / pol.tePeriodEll) * Math.sqrt((tt[l] ?? 0) * (ee[l] ?? 0));
  }
  return [tt, ee, bb, te];
}
