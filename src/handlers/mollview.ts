/**
 * `Mollview`: a HEALPix map drawn as a PNG, as healpy's `mollview` draws it (see
 * src/handlers/plot/sky-map.ts). `write` takes the map and what to say about it; `read` decodes
 * the PNG to RGBA pixels, as `Figure` does.
 *
 * Options from the asset's YAML entry, defaults for every picture of the asset (the data given to
 * `write` wins where both say something):
 *   cmap        planck | viridis | coolwarm (default viridis)
 *   norm        lin | log | hist | symlog (default lin)
 *   min, max    the colour bar's range (default: the map's valid range)
 *   unit        written under the colour bar
 *   graticule   degrees between graticule lines (default: none)
 *   rot         [lon, lat] in degrees: the map direction at the centre
 *   proj        moll | cart | ortho (default moll)
 *   width       picture width in pixels (default 800)
 */
import { writeFile } from "node:fs/promises";

import { Figure, encodePng } from "./figure.js";
import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, reportedPath } from "./plain-text.js";
import { COLORMAP_NAMES, isColormapName } from "./plot/colormaps.js";
import type { ColormapName } from "./plot/colormaps.js";
import { NORM_NAMES, isNormName } from "./plot/norms.js";
import type { NormName } from "./plot/norms.js";
import { PROJECTION_NAMES, isProjectionName } from "./plot/projections.js";
import type { ProjectionName, Rotation } from "./plot/projections.js";
import type { RgbaImage } from "./plot/render.js";
import { renderSkyMap, validateSkyMapSpec } from "./plot/sky-map.js";
import type { SkyMapSpec } from "./plot/sky-map.js";
import { isValidNside } from "../healpix/nside.js";

/** What `Mollview.write` draws: a full-sky map and, optionally, how. */
export interface MollviewData {
  /** The map, 12·nside² values, RING order unless `nest`. */
  readonly map: ArrayLike<number>;
  readonly nest?: boolean;
  readonly title?: string;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly cmap?: ColormapName;
  readonly norm?: NormName;
  readonly graticule?: number;
  readonly rot?: Rotation;
  readonly proj?: ProjectionName;
  readonly width?: number;
}

/** The spec options of the YAML entry, checked; a message naming the option otherwise. */
function optionDefaults(options: HandlerOptions | undefined): Partial<SkyMapSpec> | string {
  const o = options ?? {};
  const out: { -readonly [K in keyof SkyMapSpec]?: SkyMapSpec[K] } = {};
  const pick = (key: string, check: (v: unknown) => boolean, expected: string): unknown => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!check(v)) throw new TypeError(`option "${key}" must be ${expected}, got ${JSON.stringify(v)}`);
    return v;
  };
  const isNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
  try {
    const cmap = pick("cmap", (v) => typeof v === "string" && isColormapName(v), `one of ${COLORMAP_NAMES.join(", ")}`);
    if (cmap !== undefined) out.cmap = cmap as ColormapName;
    const norm = pick("norm", (v) => typeof v === "string" && isNormName(v), `one of ${NORM_NAMES.join(", ")}`);
    if (norm !== undefined) out.norm = norm as NormName;
    const proj = pick("proj", (v) => typeof v === "string" && isProjectionName(v), `one of ${PROJECTION_NAMES.join(", ")}`);
    if (proj !== undefined) out.proj = proj as ProjectionName;
    for (const key of ["min", "max", "graticule", "width"] as const) {
      const v = pick(key, isNumber, "a number");
      if (v !== undefined) out[key] = v as number;
    }
    const unit = pick("unit", (v) => typeof v === "string", "a string");
    if (unit !== undefined) out.unit = unit as string;
    const rot = pick("rot", (v) => Array.isArray(v) && v.length === 2 && v.every(isNumber), "[lon, lat] in degrees");
    if (rot !== undefined) out.rot = { lon: (rot as number[])[0] ?? 0, lat: (rot as number[])[1] ?? 0 };
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
  return out;
}

/** What `Mollview` reads (RGBA pixels) and writes (a map to draw, or pixels to encode as they are). */
export type MollviewValue = MollviewData | RgbaImage;

/** `Mollview` reads PNGs as RGBA pixels; writes a map as a Mollweide (or other) picture. */
export interface MollviewHandler extends AssetHandler<MollviewValue> {
  read(path: string, options?: HandlerOptions): Promise<RgbaImage>;
}

/** The Mollview handler; see the module comment. */
export const Mollview: MollviewHandler = {
  name: "Mollview",
  read(path: string, options?: HandlerOptions): Promise<RgbaImage> {
    return Figure.read(path, options);
  },
  async write(path: string, value: MollviewValue, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    const where = reportedPath(path, options);
    if (typeof value === "object" && value !== null && "data" in value && !("map" in value)) return Figure.write(path, value, options);
    const data = value as MollviewData;
    if (typeof data !== "object" || data === null || typeof (data as { map?: unknown }).map !== "object" || data.map === null) {
      throw new HandlerError(where, `Mollview expects { map, ... } with a full-sky map, got ${describeValue(data)}`);
    }
    const defaults = optionDefaults(options);
    if (typeof defaults === "string") throw new HandlerError(where, defaults);
    const nside = Math.round(Math.sqrt(data.map.length / 12));
    if (!isValidNside(nside) || 12 * nside * nside !== data.map.length) {
      throw new HandlerError(where, `a HEALPix map has 12·nside² values (nside a power of two), got ${data.map.length}`);
    }
    const { map, ...rest } = data;
    const spec = validateSkyMapSpec({ ...defaults, ...withoutUndefined(rest), values: map, nside });
    if (!spec.ok) throw new HandlerError(where, spec.error);
    await writeFile(path, await encodePng(renderSkyMap(spec.value).image));
  },
};

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
