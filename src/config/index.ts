/**
 * Configuration: compose `cfg/` defaults lists, apply command-line overrides, interpolate
 * `${...}`, validate, and keep the origin of every value.
 */
export type { ConfigObject, ConfigSource, ConfigValue, KeyPath, LoadedConfig, LoadOptions } from "./types.js";
export { loadConfig } from "./load.js";
export { memoryConfigIo, nodeConfigIo } from "./io.js";
export type { ConfigIo, FolderListing } from "./io.js";
export type { ValueOrigin } from "./node.js";
export { describeOrigin, displayPath, fileLocation, originEntries, originOf, valueAtPath } from "./origins.js";
export type { OriginEntry } from "./origins.js";
export { formatConfig, selectPackage } from "./format.js";
export type { ConfigFormat, FormatOptions } from "./format.js";
export { parseOverride } from "./overrides.js";
export type { OverrideKind, ParsedOverride } from "./overrides.js";
export {
  DEFAULT_DATASETS_ROOT,
  FILE_SYSTEM_DEFAULTS,
  SPLIT_KEY,
  STAGE_KEYS,
  splitEntries,
  validateConfig,
} from "./schema.js";
export type {
  AssetInConfig,
  AssetOutConfig,
  CmbflowConfig,
  SplitConfig,
  SplitsConfig,
  StageConfig,
  ValidationIssue,
} from "./schema.js";
export { trackReads } from "./track-reads.js";
export type { TrackedConfig } from "./track-reads.js";
export { typedConfig } from "./typed.js";
