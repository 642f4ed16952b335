/** The Namer's base context and `{sim}` format, from the resolved configuration. */
import { isAbsolute, resolve } from "node:path";
import type { ConfigObject, ConfigValue } from "../config/types.js";
import type { SimFormat } from "./namer.js";

function at(root: ConfigObject, ...path: string[]): ConfigValue | undefined {
  let v: ConfigValue | undefined = root;
  for (const p of path) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as ConfigObject)[p] : undefined;
  return v;
}

/**
 * `root` (local_system.datasets_root, default ./data), `src_root` (local_system.assets_dir),
 * `dataset` (dataset_name) and `working` (working_dir, default ""), relative paths made
 * absolute against the project folder.
 */
export function namerBase(resolved: ConfigObject, projectDir: string): Record<string, string> {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(projectDir, p));
  const root = at(resolved, "local_system", "datasets_root");
  const assets = at(resolved, "local_system", "assets_dir");
  const dataset = at(resolved, "dataset_name");
  const working = at(resolved, "working_dir");
  const rootPath = abs(typeof root === "string" ? root : "./data");
  return {
    root: rootPath,
    src_root: typeof assets === "string" ? abs(assets) : resolve(rootPath, "Assets"),
    dataset: typeof dataset === "string" || typeof dataset === "number" ? String(dataset) : "dataset",
    working: typeof working === "string" ? working : "",
  };
}

/** `{sim}` format from file_system.sim_folder_prefix and sim_str_num_digits. */
export function simFormat(resolved: ConfigObject): SimFormat {
  const prefix = at(resolved, "file_system", "sim_folder_prefix");
  const digits = at(resolved, "file_system", "sim_str_num_digits");
  return { prefix: typeof prefix === "string" ? prefix : "sim", digits: typeof digits === "number" ? digits : 4 };
}

/** The base seed every node seed derives from: the top-level `seed` key, default 0. */
export function baseSeed(resolved: ConfigObject): number {
  const seed = resolved["seed"];
  return typeof seed === "number" && Number.isInteger(seed) && seed >= 0 ? seed : 0;
}
