/** The AssetHandler registry: handlers by name, built-ins pre-registered by the handlers folder's index. */
import type { AssetHandler } from "./handler.js";

const handlers = new Map<string, AssetHandler>();
/** The module each handler's code is in, where known (set by whoever imported the registering module). */
const modules = new Map<string, string>();

/** Registers (or replaces) the handler under `name`. */
export function registerHandler(name: string, handler: AssetHandler): void {
  handlers.set(name, handler);
  // A replaced handler's code is no longer the named module's: unknown until someone says whose it is.
  modules.delete(name);
}

/**
 * Records that the handler under `name` is defined by the module `file` (absolute), whose import
 * closure then enters the code part of every node reading or writing through it.
 */
export function setHandlerModule(name: string, file: string): void {
  if (handlers.has(name)) modules.set(name, file);
}

/** The module file that defines the handler under `name`, when known. */
export function handlerModule(name: string): string | undefined {
  return modules.get(name);
}

/** The registered handlers by name, a copy (to tell which ones importing a module registered). */
export function registeredHandlers(): ReadonlyMap<string, AssetHandler> {
  return new Map(handlers);
}

/** True when a handler is registered under `name`. */
export function hasHandler(name: string): boolean {
  return handlers.has(name);
}

/** Names of every registered handler, sorted. */
export function handlerNames(): string[] {
  return [...handlers.keys()].sort();
}

/** The handler registered under `name`; throws an Error listing the registered names when there is none. */
export function getHandler(name: string): AssetHandler {
  const handler = handlers.get(name);
  if (handler === undefined) {
    throw new Error(`unknown handler "${name}"; registered handlers: ${handlerNames().join(", ")}`);
  }
  return handler;
}
