/**
 * Diagnostics as text, in the style of rustc and wireit:
 *
 * ```
 * error: unknown key "asset_out" in stage "make_cmb"
 *   --> cfg/pipeline/pipe_sim.yaml:12:3
 *    |
 * 12 |   asset_out:
 *    |   ^^^^^^^^^
 *    = note: did you mean "assets_out"?
 * ```
 *
 * - The gutter is as wide as the line number. Paths are relative to `cwd` when inside it.
 * - The underline covers the span on its first line (to the end of that line for a span over
 *   several lines); tabs in the source line show as 4 spaces and the underline follows them.
 * - Without a location, or when the file cannot be read, the excerpt is left out.
 * - Diagnostics are separated by a blank line; the text ends with a newline. No summary line:
 *   `diagnosticSummary()` gives one (`2 errors, 1 warning`) for the caller to print.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { Diagnostic, Severity } from "./diagnostic.js";

/** Options of `renderDiagnostics`. */
export interface RenderOptions {
  /** Paths are shown relative to this folder. */
  readonly cwd: string;
  /** ANSI colours; default false. */
  readonly color?: boolean;
  /** Source text of a file, or undefined if unavailable; default reads the file system. */
  readonly readFile?: (path: string) => string | undefined;
}

const TAB = "    ";

/** All diagnostics, separated by blank lines. Empty input gives `""`. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], options: RenderOptions): string {
  const cache = new Map<string, readonly string[] | undefined>();
  const read = options.readFile ?? readFromDisk;
  const linesOf = (file: string): readonly string[] | undefined => {
    if (!cache.has(file)) cache.set(file, read(file)?.split(/\r?\n/));
    return cache.get(file);
  };
  return diagnostics.map((d) => renderOne(d, options, linesOf)).join("\n");
}

/** `2 errors`, `1 error, 1 warning`, `3 warnings`; `""` for none. */
export function diagnosticSummary(diagnostics: readonly Diagnostic[]): string {
  const count = (severity: Severity): number => diagnostics.filter((d) => d.severity === severity).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts: string[] = [];
  if (count("error") > 0) parts.push(plural(count("error"), "error"));
  if (count("warning") > 0) parts.push(plural(count("warning"), "warning"));
  return parts.join(", ");
}

function readFromDisk(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

interface Paint {
  readonly severity: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly gutter: (s: string) => string;
}

function paint(severity: Severity, color: boolean): Paint {
  if (!color) return { severity: (s) => s, bold: (s) => s, gutter: (s) => s };
  const code = severity === "error" ? "31" : severity === "warning" ? "33" : "36";
  return {
    severity: (s) => `\u001b[1;${code}m${s}\u001b[0m`,
    bold: (s) => `\u001b[1m${s}\u001b[0m`,
    gutter: (s) => `\u001b[1;34m${s}\u001b[0m`,
  };
}

function renderOne(
  diagnostic: Diagnostic,
  options: RenderOptions,
  linesOf: (file: string) => readonly string[] | undefined,
): string {
  const p = paint(diagnostic.severity, options.color ?? false);
  const out: string[] = [`${p.severity(diagnostic.severity)}${p.bold(`: ${diagnostic.message}`)}`];
  const location = diagnostic.location;
  let width = 1;
  if (location !== undefined) {
    width = String(location.line).length;
    const pad = " ".repeat(width);
    out.push(`${pad}${p.gutter("-->")} ${displayPath(location.file, options.cwd)}:${location.line}:${location.column}`);
    const source = linesOf(location.file)?.[location.line - 1];
    if (source !== undefined) {
      const endColumn =
        (location.endLine ?? location.line) === location.line
          ? (location.endColumn ?? location.column + 1)
          : source.trimEnd().length + 1;
      const start = expandTabs(source.slice(0, location.column - 1)).length;
      const underlined = expandTabs(source.slice(location.column - 1, Math.max(endColumn, location.column + 1) - 1));
      const shown = expandTabs(source).trimEnd();
      const caretCount = underlined.trimEnd().length > 0 ? underlined.trimEnd().length : Math.max(1, underlined.length);
      out.push(`${pad} ${p.gutter("|")}`);
      out.push(`${p.gutter(`${location.line} |`)}${shown === "" ? "" : ` ${shown}`}`);
      out.push(`${pad} ${p.gutter("|")} ${" ".repeat(start)}${p.severity("^".repeat(caretCount))}`);
    }
  }
  for (const note of diagnostic.notes ?? []) {
    out.push(`${" ".repeat(width)} ${p.gutter("=")} ${p.bold("note")}: ${note}`);
  }
  return `${out.join("\n")}\n`;
}

function expandTabs(text: string): string {
  return text.replaceAll("\t", TAB);
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === "" || rel.startsWith("..") ? file : rel;
}
