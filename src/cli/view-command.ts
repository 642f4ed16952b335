/**
 * `cmbflow view MAP.fits`: draws a HEALPix map as a PNG, as healpy's `mollview` would (or a
 * Cartesian or orthographic view), with cmbflow's own renderer (src/handlers/plot/sky-map.ts).
 *
 * Bad input is one line on stderr and exit code 2: an unreadable or corrupt FITS file, a
 * `--field` the file does not have, an unknown colour map, norm or projection, a malformed
 * number or `--rot`, a range the norm cannot show.
 */
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { errnoCode, fsProblem } from "../cache/cache-file-error.js";
import { FitsError, readMap } from "../fits/index.js";
import { Figure } from "../handlers/figure.js";
import { HandlerError } from "../handlers/handler.js";
import { COLORMAP_NAMES, isColormapName } from "../handlers/plot/colormaps.js";
import type { ColormapName } from "../handlers/plot/colormaps.js";
import { NORM_NAMES, isNormName } from "../handlers/plot/norms.js";
import type { NormName } from "../handlers/plot/norms.js";
import { PROJECTION_NAMES, isProjectionName } from "../handlers/plot/projections.js";
import type { ProjectionName, Rotation } from "../handlers/plot/projections.js";
import { renderSkyMap, validateSkyMapSpec } from "../handlers/plot/sky-map.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";

interface ViewFlags {
  readonly output?: string;
  readonly field: number;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly title?: string;
  readonly cmap: ColormapName;
  readonly norm: NormName;
  readonly graticule?: number;
  readonly rot?: Rotation;
  readonly proj: ProjectionName;
  readonly width: number;
}

/** Registers `view` on the program. */
export function viewCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("view")
    .description("draw a HEALPix map FITS file as a PNG: Mollweide (as healpy's mollview), Cartesian or orthographic")
    .argument("<map>", "a HEALPix map FITS file (plain or .gz), relative to this folder or absolute")
    .option("-o, --output <png>", "the picture to write (default: the map's name with .png, in this folder)")
    .option("--field <n>", "which map column to draw, from 0 (as healpy's field)", wholeNumber, 0)
    .option("--min <value>", "low end of the colour bar (default: the map's smallest valid pixel)", finiteNumber)
    .option("--max <value>", "high end of the colour bar (default: the map's largest valid pixel)", finiteNumber)
    .option("--unit <text>", "written under the colour bar (default: the column's TUNIT)")
    .option("--title <text>", "written above the map (default: the file's name)")
    .option("--cmap <name>", `colour map: ${COLORMAP_NAMES.join(", ")}`, oneOf(COLORMAP_NAMES, isColormapName), "viridis")
    .option("--norm <name>", `value → colour scale: ${NORM_NAMES.join(", ")}`, oneOf(NORM_NAMES, isNormName), "lin")
    .option("--graticule <deg>", "draw meridians and parallels every <deg> degrees", positiveDegrees)
    .option("--rot <lon,lat>", "centre the view on this longitude and latitude, in degrees", rotation)
    .option("--proj <name>", `projection: ${PROJECTION_NAMES.join(", ")}`, oneOf(PROJECTION_NAMES, isProjectionName), "moll")
    .option("--width <px>", "picture width in pixels (200-8192)", wholeNumber, 800)
    .addHelpText(
      "after",
      `
UNSEEN pixels are grey; longitude increases to the left, as in healpy.

Examples:
  cmbflow view data/T_64_3-3/Simulation_Working/B_Make_CMB/Train/sim0000/cmb_map.fits
  cmbflow view data/T_64_3-3/Simulation_Working/D_Make_Obs/Train/sim0000/obs_30_map.fits -o obs.png --cmap planck --graticule 30
  cmbflow view data/T_64_3-3/Simulation_Working/C_Make_Noise/Train/sim0000/noise_30_map.fits --proj ortho --rot 90,30`,
    )
    .action(async (path: string, flags: ViewFlags) => {
      done(await view(path, flags, io));
    });
}

async function view(path: string, flags: ViewFlags, io: CliIo): Promise<number> {
  const here = io.here ?? io.cwd;
  const mapPath = resolve(here, path);
  let map;
  try {
    map = await readMap(mapPath, { field: flags.field, dtype: "float64" });
  } catch (error) {
    const text = readFailure(mapPath, error);
    if (text === undefined) throw error;
    io.stderr(`error: ${text}\n`);
    return EXIT_USAGE;
  }
  const values = map.fields[0];
  if (values === undefined) throw new Error("Internal error: readMap returned no field");
  const name = basename(mapPath).replace(/\.fits(\.gz)?$|\.fit(\.gz)?$/i, "");
  const spec = validateSkyMapSpec({
    values,
    nside: map.nside,
    width: flags.width,
    ...(flags.min === undefined ? {} : { min: flags.min }),
    ...(flags.max === undefined ? {} : { max: flags.max }),
    unit: flags.unit ?? map.units[0] ?? "",
    title: flags.title ?? basename(mapPath),
    cmap: flags.cmap,
    norm: flags.norm,
    ...(flags.graticule === undefined ? {} : { graticule: flags.graticule }),
    ...(flags.rot === undefined ? {} : { rot: flags.rot }),
    proj: flags.proj,
  });
  if (!spec.ok) {
    io.stderr(`error: ${mapPath}: cannot draw field ${flags.field}: ${spec.error}\n`);
    return EXIT_USAGE;
  }
  const { image } = renderSkyMap(spec.value);
  const out = resolve(here, flags.output ?? `${name}.png`);
  try {
    await Figure.write(out, image);
  } catch (error) {
    const problem = error instanceof HandlerError ? error.message : fsProblem(error);
    if (problem === undefined) throw error;
    io.stderr(`error: ${error instanceof HandlerError ? problem : `${out}: ${problem}`}\n`);
    return EXIT_USAGE;
  }
  io.stdout(`wrote ${out} (${image.width}×${image.height}, nside ${map.nside}, ${flags.proj}, ${flags.cmap})\n`);
  return EXIT_OK;
}

/** One line for a map that cannot be read; undefined for anything that is not about the file. */
function readFailure(path: string, error: unknown): string | undefined {
  if (error instanceof FitsError) return error.message;
  if (errnoCode(error) === "ENOENT") return `no such file: ${path}`;
  if (errnoCode(error) === "EISDIR") return `${path} is a folder, not a FITS file`;
  const problem = fsProblem(error);
  return problem === undefined ? undefined : `${path}: ${problem}`;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number ≥ 0.");
  return Number(value);
}

function finiteNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v)) throw new InvalidArgumentError("expected a number, e.g. -3e-4.");
  return v;
}

function positiveDegrees(value: string): number {
  const v = Number(value);
  if (!(v > 0 && v <= 180)) throw new InvalidArgumentError("expected degrees in (0, 180].");
  return v;
}

function rotation(value: string): Rotation {
  const parts = value.split(",").map((p) => p.trim());
  const [lon, lat] = parts.map(Number);
  if (parts.length > 2 || parts.some((p) => p === "") || !Number.isFinite(lon) || (parts.length === 2 && !Number.isFinite(lat))) {
    throw new InvalidArgumentError("expected LON or LON,LAT in degrees, e.g. 90,30.");
  }
  if (Math.abs(lat ?? 0) > 90) throw new InvalidArgumentError("the latitude must be in [-90, 90].");
  return { lon: lon ?? 0, lat: lat ?? 0 };
}

function oneOf<T extends string>(names: readonly T[], is: (text: string) => text is T): (value: string) => T {
  return (value) => {
    if (!is(value)) throw new InvalidArgumentError(`expected one of ${names.join(", ")}.`);
    return value;
  };
}
