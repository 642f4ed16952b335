/** Builds a compiler input from YAML text without the config loader: origins come from the YAML nodes. */
import { LineCounter, parseDocument, isMap, isSeq, isScalar } from "yaml";
import type { Node } from "yaml";
import type { ConfigObject, KeyPath } from "../../src/config/types.js";
import type { SourceLocation } from "../../src/diagnostics/diagnostic.js";

export const HANDLERS = new Set(["HealpyMap", "TextPowerSpectrum", "Config", "NumpyPowerSpectrum", "Figure", "CsvTable"]);

export function fromYaml(text: string, file = "/project/cfg/config.yaml"): {
  resolved: ConfigObject;
  origin: (path: KeyPath) => SourceLocation | undefined;
} {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true });
  const resolved = doc.toJS() as ConfigObject;
  const origin = (path: KeyPath): SourceLocation | undefined => {
    let node: unknown = doc.contents;
    for (const key of path) {
      if (isMap(node)) node = node.get(key, true);
      else if (isSeq(node)) node = node.get(Number(key), true);
      else return undefined;
    }
    const range = (node as Node | undefined)?.range;
    if (range === undefined || range === null || !(isScalar(node) || isMap(node) || isSeq(node))) return undefined;
    const start = lineCounter.linePos(range[0]);
    const end = lineCounter.linePos(range[1]);
    return { file, line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };
  return { resolved, origin };
}

export const SPLITS_3_3 = `
splits:
  name: "3-3"
  Train: {n_sims: 3}
  Valid: {n_sims: 3}
  Test: {n_sims: 3}
`;
