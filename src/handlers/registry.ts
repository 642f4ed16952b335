/** The AssetHandler registry: handlers by name, built-ins pre-registered by the handlers folder's index. */
import type { AssetHandler } from "./handler.js";

const handlers = new Map<string, AssetHandler>();

/** Registers (or replaces) the handler under `name`. */
export function registerHandler(name: string, handler: AssetHandler): void {
  handlers.set(name, handler);
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
