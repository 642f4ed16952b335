/**
 * The built-in handlers (DESIGN.md "AssetHandler") except `HealpyMap`, which lives on top of the
 * FITS codec and is registered alongside these by the handlers folder's index.
 */
import { fileURLToPath } from "node:url";
import { AppendingCsv } from "./appending-csv.js";
import { Config } from "./config-handler.js";
import { CsvTable } from "./csv-table.js";
import { EmptyHandler } from "./empty-handler.js";
import { Figure } from "./figure.js";
import type { AssetHandler } from "./handler.js";
import { Mollview } from "./mollview.js";
import { Mover } from "./mover.js";
import { NumpyMap } from "./numpy-map.js";
import { NumpyPowerSpectrum } from "./numpy-power-spectrum.js";
import { PlainText } from "./plain-text.js";
import { registerHandler, setHandlerModule } from "./registry.js";
import { TextPowerSpectrum } from "./text-power-spectrum.js";

/** Each built-in handler of this folder with the module (relative to this one) that defines it. */
const BUILTINS: readonly (readonly [AssetHandler, string])[] = [
  [TextPowerSpectrum, "./text-power-spectrum.js"],
  [NumpyPowerSpectrum, "./numpy-power-spectrum.js"],
  [NumpyMap, "./numpy-map.js"],
  [Config, "./config-handler.js"],
  [PlainText, "./plain-text.js"],
  [CsvTable, "./csv-table.js"],
  [AppendingCsv, "./appending-csv.js"],
  [Figure, "./figure.js"],
  [Mollview, "./mollview.js"],
  [EmptyHandler, "./empty-handler.js"],
  [Mover, "./mover.js"],
];

/** Every built-in handler of this folder, each registered under its `name`. */
export const builtinHandlers: readonly AssetHandler[] = BUILTINS.map(([handler]) => handler);

/**
 * The file of a module next to `base` (an `import.meta.url`): the `.js` that runs compiled, whose
 * TypeScript source the module graph takes instead when running from src/.
 */
export function siblingModule(base: string, spec: string): string {
  return fileURLToPath(new URL(spec, base));
}

/**
 * Registers every handler of {@link builtinHandlers} under its name (replacing any handler of
 * that name), each with the module that defines it.
 */
export function registerBuiltinHandlers(): void {
  for (const [handler, module] of BUILTINS) {
    registerHandler(handler.name, handler);
    setHandlerModule(handler.name, siblingModule(import.meta.url, module));
  }
}
