/** Typed access to a loaded configuration. */
import type { CmbflowConfig } from "./schema.js";
import type { LoadedConfig } from "./types.js";

/**
 * The resolved configuration with its schema's types. Sound for configs from `loadConfig`,
 * which validated `resolved` against the schema (and filled its defaults) before returning it.
 */
export function typedConfig(config: LoadedConfig): CmbflowConfig {
  return config.resolved as unknown as CmbflowConfig;
}
