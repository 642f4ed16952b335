/** cmbflow's public library API. */
export * from "./healpix/nside.js";
export * from "./healpix/rings.js";
export * from "./healpix/alm.js";
export type { Result } from "./diagnostics/result.js";
export type { Diagnostic, SourceLocation } from "./diagnostics/diagnostic.js";
