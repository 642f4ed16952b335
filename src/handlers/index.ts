/**
 * Asset handlers: the registry with every built-in handler registered on first import.
 * User code adds its own with `registerHandler(name, handler)`.
 */
import { registerBuiltinHandlers, siblingModule } from "./builtins.js";
import { HealpyMap } from "./healpy-map.js";
import { handlerNames, registerHandler, setHandlerModule } from "./registry.js";

registerBuiltinHandlers();
registerHandler(HealpyMap.name, HealpyMap);
setHandlerModule(HealpyMap.name, siblingModule(import.meta.url, "./healpy-map.js"));

/** Names of every registered handler (built-in and user-registered), sorted. */
export function builtinHandlerNames(): string[] {
  return handlerNames();
}

export { getHandler, handlerNames, hasHandler, registerHandler } from "./registry.js";
export type { AssetHandler, HandlerOptions } from "./handler.js";
export { HandlerError } from "./handler.js";
export { HealpyMap } from "./healpy-map.js";
export type { HealpyMapData, LabelledMaps } from "./healpy-map.js";
export type { MapFields } from "./map-fields.js";
