/**
 * The file access the loader needs, behind a small interface so tests can use an in-memory tree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A folder's entries: `.yaml` files (names without extension) and sub-folders. */
export interface FolderListing {
  readonly files: readonly string[];
  readonly folders: readonly string[];
}

/** Read-only access to the config folder. Paths are absolute. */
export interface ConfigIo {
  /** The file's text, or undefined when there is no such file. */
  readFile(path: string): string | undefined;
  /** The folder's YAML files and sub-folders, or undefined when there is no such folder. */
  listFolder(path: string): FolderListing | undefined;
}

/** The real file system. */
export const nodeConfigIo: ConfigIo = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  listFolder(path) {
    try {
      const entries = readdirSync(path, { withFileTypes: true });
      return {
        files: entries.filter((e) => e.isFile() && e.name.endsWith(".yaml")).map((e) => e.name.slice(0, -".yaml".length)),
        folders: entries.filter((e) => e.isDirectory()).map((e) => e.name),
      };
    } catch {
      return undefined;
    }
  },
};

/**
 * An in-memory config folder, for tests and embedding: `files` maps paths relative to `root`
 * (e.g. `splits/3-3.yaml`) to their text.
 */
export function memoryConfigIo(root: string, files: Readonly<Record<string, string>>): ConfigIo {
  const texts = new Map<string, string>();
  for (const [relative, text] of Object.entries(files)) texts.set(join(root, relative), text);
  return {
    readFile: (path) => texts.get(path),
    listFolder(path) {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const fileNames = new Set<string>();
      const folders = new Set<string>();
      for (const file of texts.keys()) {
        if (!file.startsWith(prefix)) continue;
        const rest = file.slice(prefix.length);
        const slash = rest.indexOf("/");
        if (slash >= 0) folders.add(rest.slice(0, slash));
        else if (rest.endsWith(".yaml")) fileNames.add(rest.slice(0, -".yaml".length));
      }
      if (fileNames.size === 0 && folders.size === 0) return undefined;
      return { files: [...fileNames], folders: [...folders] };
    },
  };
}
