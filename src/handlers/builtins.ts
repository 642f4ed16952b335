/**
 * The built-in handlers (DESIGN.md "AssetHandler") except `HealpyMap`, which lives on top of the
 * FITS codec and is registered alongside these by the handlers folder's index.
 */
import { AppendingCsv } from "./appending-csv.js";
import { Config } from "./config-handler.js";
import { CsvTable } from "./csv-table.js";
import { EmptyHandler } from "./empty-handler.js";
import { Figure } from "./figure.js";
import type { AssetHandler } from "./handler.js";
import { Mover } from "./mover.js";
import { NumpyMap } from "./numpy-map.js";
import { NumpyPowerSpectrum } from "./numpy-power-spectrum.js";
import { PlainText } from "./plain-text.js";
import { registerHandler } from "./registry.js";
import { TextPowerSpectrum } from "./text-power-spectrum.js";

/** Every built-in handler of this folder, each registered under its `name`. */
export const builtinHandlers: readonly AssetHandler[] = [
  TextPowerSpectrum,
  NumpyPowerSpectrum,
  NumpyMap,
  Config,
  PlainText,
  CsvTable,
  AppendingCsv,
  Figure,
  EmptyHandler,
  Mover,
];

/** Registers every handler of {@link builtinHandlers} under its name (replacing any handler of that name). */
export function registerBuiltinHandlers(): void {
  for (const handler of builtinHandlers) registerHandler(handler.name, handler);
}
