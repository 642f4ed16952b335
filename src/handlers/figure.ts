/**
 * `Figure`: a PNG image. `write` takes a plot description ({@link PlotSpec}: line, band and point
 * series, log or linear axes, title, axis labels, legend), renders it with cmbflow's own
 * rasteriser and embedded DejaVu Sans font (src/handlers/plot), and encodes it with pngjs; it also accepts an
 * already rendered {@link RgbaImage}. `read` decodes any PNG to RGBA pixels.
 *
 * The same description always gives the same bytes (no timestamps or text chunks are written), so
 * a figure's content hash changes only when what it shows changes.
 */
import { writeFile } from "node:fs/promises";

import type { PNG as PngClass } from "pngjs";

/** pngjs, loaded on first use: most commands never read or write a figure. */
let pngjs: Promise<typeof PngClass> | undefined;
function loadPng(): Promise<typeof PngClass> {
  pngjs ??= import("pngjs").then((m) => m.PNG);
  return pngjs;
}

import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, readHandlerFile, reportedPath } from "./plain-text.js";
import { validatePlotSpec } from "./plot/plot-spec.js";
import type { PlotSpec } from "./plot/plot-spec.js";
import { renderPlot } from "./plot/render.js";
import type { RgbaImage } from "./plot/render.js";

export type { BandSeries, LegendPosition, LineSeries, PlotPanel, PlotSeries, PlotSpec, PointsSeries } from "./plot/plot-spec.js";
export type { RgbaImage } from "./plot/render.js";

/** What `Figure.write` accepts: a plot to render, or RGBA pixels to encode as they are. */
export type FigureData = PlotSpec | RgbaImage;

/** `Figure` reads PNGs as RGBA pixels; writes a plot description or RGBA pixels. */
export interface FigureHandler extends AssetHandler<FigureData> {
  read(path: string, options?: HandlerOptions): Promise<RgbaImage>;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function isRgbaImage(data: FigureData): data is RgbaImage {
  return !("series" in data) && "data" in data;
}

/** Encodes RGBA pixels as an 8-bit RGBA PNG. */
export async function encodePng(image: RgbaImage): Promise<Buffer> {
  const PNG = await loadPng();
  const png = new PNG({ width: image.width, height: image.height });
  png.data = image.data;
  return PNG.sync.write(png, { colorType: 6 });
}

/** `Figure`: PNG plots; see the module comment. */
export const Figure: FigureHandler = {
  name: "Figure",
  async read(path: string, _options?: HandlerOptions): Promise<RgbaImage> {
    const bytes = await readHandlerFile(path);
    if (bytes.length < PNG_SIGNATURE.length || !bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
      throw new HandlerError(path, "not a PNG file (bad signature)");
    }
    const PNG = await loadPng();
    try {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    } catch (error) {
      // pngjs's messages are terse ("There are some read requests waitng on finished stream" for a truncated file).
      throw new HandlerError(path, `corrupt or truncated PNG (${error instanceof Error ? error.message : String(error)})`);
    }
  },
  async write(path: string, data: FigureData, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    const where = reportedPath(path, options);
    if (typeof data !== "object" || data === null) {
      throw new HandlerError(where, `Figure expects a plot description or an RGBA image, got ${describeValue(data)}`);
    }
    let image: RgbaImage;
    if (isRgbaImage(data)) {
      const { width, height } = data;
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
        throw new HandlerError(where, `image width and height must be positive integers, got ${width} × ${height}`);
      }
      if (!Buffer.isBuffer(data.data) || data.data.length !== width * height * 4) {
        throw new HandlerError(where, `image data must be a Buffer of ${width} × ${height} × 4 bytes`);
      }
      image = data;
    } else {
      const spec = validatePlotSpec(data);
      if (!spec.ok) throw new HandlerError(where, spec.error);
      image = renderPlot(spec.value);
    }
    await writeFile(path, await encodePng(image));
  },
};
