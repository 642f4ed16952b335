/**
 * `CsvTable`: a table as CSV with RFC 4180 quoting. The first record is the header.
 *
 * Writing: fields are separated by `,` and records end with `\n` (as pandas writes on Linux,
 * rather than RFC 4180's `\r\n`). A field is quoted — `"` doubled inside — when it contains
 * `"`, `,`, `\r` or `\n`; a string cell is also quoted when it is empty or would otherwise read
 * back as a number, so every table we write reads back equal (a `null` cell is an empty,
 * unquoted field). Numbers are written in JavaScript's shortest round-trip form, `-0`, `NaN`,
 * `Infinity`, `-Infinity`.
 *
 * Reading: `\n` or `\r\n` ends a record (a final line break is optional); quoted fields may hold
 * separators, quotes and line breaks. Header fields are strings. In data records an unquoted
 * field is a number when its whole text is a decimal number (`12`, `-0.5`, `1e-7`, `.5`) or one
 * of `NaN`, `nan`, `inf`, `Infinity` (optionally signed); an unquoted empty field is `null`;
 * everything else, and every quoted field, is a string. A leading UTF-8 byte-order mark is skipped.
 */
import { writeFile } from "node:fs/promises";

import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, readHandlerText, reportedPath } from "./plain-text.js";

/** One cell: text, a number, or missing (`null`, an empty field). */
export type CsvCell = string | number | null;

/** A table in memory: column names and rows of cells, each row as long as `columns`. */
export interface CsvTableData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly CsvCell[])[];
}

/** Why text is not a readable CSV table; `line` (from 1) is where the offending record or field starts. */
export interface CsvParseFailure {
  readonly reason: "empty" | "stray-quote" | "text-after-quote" | "unterminated-quote" | "field-count";
  readonly line: number;
  readonly message: string;
}

/** Why a table cannot be written. */
export interface CsvFormatFailure {
  readonly reason: "no-columns" | "bad-column" | "field-count" | "bad-cell";
  readonly message: string;
}

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPECIAL = /^(?:NaN|nan|[-+]?(?:inf|Infinity))$/;

/** The number an unquoted field stands for, or `undefined` when it is text. */
function numberOf(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  if (!SPECIAL.test(text)) return undefined;
  if (text === "NaN" || text === "nan") return Number.NaN;
  return text.startsWith("-") ? -Infinity : Infinity;
}

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

const NEEDS_QUOTES = /[",\r\n]/;

function formatNumber(x: number): string {
  if (Object.is(x, -0)) return "-0";
  return String(x); // NaN, Infinity, -Infinity, shortest round-trip decimal otherwise
}

function formatHeaderField(name: string): string {
  return name === "" || NEEDS_QUOTES.test(name) ? quote(name) : name;
}

function formatCell(cell: CsvCell): string {
  if (cell === null) return "";
  if (typeof cell === "number") return formatNumber(cell);
  return cell === "" || NEEDS_QUOTES.test(cell) || numberOf(cell) !== undefined ? quote(cell) : cell;
}

/** The header line (with its `\n`) for `columns`. */
export function formatCsvHeader(columns: readonly string[]): string {
  return columns.map(formatHeaderField).join(",") + "\n";
}

/**
 * The data lines (each ending with `\n`) for `rows` under `columns`; checks every row has one
 * cell per column and every cell is a string, a number or null. Row numbers in messages count from 1.
 */
export function formatCsvRows(
  columns: readonly string[],
  rows: readonly (readonly CsvCell[])[],
): Result<string, CsvFormatFailure> {
  const lines: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row) || row.length !== columns.length) {
      return err({
        reason: "field-count",
        message: `row ${r + 1} has ${Array.isArray(row) ? row.length : 0} cells, expected ${columns.length} (one per column)`,
      });
    }
    for (let c = 0; c < row.length; c++) {
      const cell: unknown = row[c];
      if (cell !== null && typeof cell !== "string" && typeof cell !== "number") {
        return err({
          reason: "bad-cell",
          message: `row ${r + 1}, column "${columns[c]}": expected a string, a number or null, got ${describeValue(cell)}`,
        });
      }
    }
    lines.push(row.map(formatCell).join(",") + "\n");
  }
  return ok(lines.join(""));
}

/** Checks the column names of a table to be written. */
export function checkCsvColumns(columns: unknown): Result<readonly string[], CsvFormatFailure> {
  if (!Array.isArray(columns) || columns.length === 0) {
    return err({ reason: "no-columns", message: "a CSV table needs at least one column" });
  }
  const bad = columns.findIndex((c) => typeof c !== "string");
  if (bad >= 0) {
    return err({
      reason: "bad-column",
      message: `column ${bad + 1}: expected a string name, got ${describeValue(columns[bad])}`,
    });
  }
  return ok(columns as string[]);
}

/** The whole CSV text for `table`: header line, then one line per row. */
export function formatCsv(table: CsvTableData): Result<string, CsvFormatFailure> {
  const columns = checkCsvColumns(table.columns);
  if (!columns.ok) return columns;
  const rows = formatCsvRows(columns.value, table.rows);
  if (!rows.ok) return rows;
  return ok(formatCsvHeader(columns.value) + rows.value);
}

/** A field as it appears in the file: its text (quotes removed) and whether it was quoted. */
export interface RawField {
  readonly text: string;
  readonly quoted: boolean;
}

/** One record and the line (from 1) it starts on. */
export interface RawRecord {
  readonly line: number;
  readonly fields: RawField[];
}

/**
 * Splits CSV text into records of raw fields. With `limit`, stops after that many records
 * (AppendingCsv reads only the header of an existing file).
 */
export function splitCsvRecords(text: string, limit = Infinity): Result<RawRecord[], CsvParseFailure> {
  const records: RawRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n && records.length < limit) {
    const record: RawRecord = { line, fields: [] };
    for (;;) {
      // One field starts at i.
      if (text[i] === '"') {
        const startLine = line;
        let value = "";
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            return err({
              reason: "unterminated-quote",
              line: startLine,
              message: `line ${startLine}: unterminated quoted field`,
            });
          }
          const chunk = text.slice(j, q);
          value += chunk;
          for (const ch of chunk) if (ch === "\n") line++;
          if (text[q + 1] === '"') {
            value += '"';
            j = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        record.fields.push({ text: value, quoted: true });
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\n" && !(next === "\r" && text[i + 1] === "\n")) {
          return err({
            reason: "text-after-quote",
            line,
            message: `line ${line}: unexpected character after closing quote`,
          });
        }
      } else {
        let j = i;
        while (j < n) {
          const ch = text[j];
          if (ch === "," || ch === "\n" || (ch === "\r" && text[j + 1] === "\n")) break;
          if (ch === '"') {
            return err({ reason: "stray-quote", line, message: `line ${line}: unexpected '"' in unquoted field` });
          }
          j++;
        }
        record.fields.push({ text: text.slice(i, j), quoted: false });
        i = j;
      }
      // After a field: a separator, a record end, or the end of the text.
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\r") i++;
      if (text[i] === "\n") {
        i++;
        line++;
      }
      break;
    }
    records.push(record);
  }
  return ok(records);
}

/** Parses CSV text (see the module comment for the rules) into a table. */
export function parseCsv(text: string): Result<CsvTableData, CsvParseFailure> {
  const split = splitCsvRecords(text);
  if (!split.ok) return split;
  const [header, ...data] = split.value;
  if (header === undefined) {
    return err({ reason: "empty", line: 1, message: "empty file: no header row" });
  }
  const columns = header.fields.map((f) => f.text);
  const rows: CsvCell[][] = [];
  for (const record of data) {
    if (record.fields.length !== columns.length) {
      return err({
        reason: "field-count",
        line: record.line,
        message: `line ${record.line}: expected ${columns.length} fields, found ${record.fields.length}`,
      });
    }
    rows.push(
      record.fields.map((f) => {
        if (f.quoted) return f.text;
        if (f.text === "") return null;
        return numberOf(f.text) ?? f.text;
      }),
    );
  }
  return ok({ columns, rows });
}

/** Reads a CSV file as a table, throwing a `HandlerError` naming the file and the line. */
export async function readCsvTable(path: string): Promise<CsvTableData> {
  const parsed = parseCsv(await readHandlerText(path));
  if (!parsed.ok) throw new HandlerError(path, parsed.error.message);
  return parsed.value;
}

/** Checks that `data` looks like a table before formatting it; `where` names the file in the error. */
export function expectCsvTable(data: unknown, handlerName: string, where: string): CsvTableData {
  if (typeof data !== "object" || data === null || !("columns" in data) || !("rows" in data) || !Array.isArray(data.rows)) {
    throw new HandlerError(where, `${handlerName} expects {columns, rows}, got ${describeValue(data)}`);
  }
  return data as CsvTableData;
}

/** `CsvTable`: a CSV file with a header row; see the module comment for quoting and number rules. */
export const CsvTable: AssetHandler<CsvTableData> = {
  name: "CsvTable",
  async read(path: string, _options?: HandlerOptions): Promise<CsvTableData> {
    return readCsvTable(path);
  },
  async write(path: string, data: CsvTableData, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    const where = reportedPath(path, options);
    const text = formatCsv(expectCsvTable(data, "CsvTable", where));
    if (!text.ok) throw new HandlerError(where, text.error.message);
    await writeFile(path, text.value, "utf8");
  },
};
