/**
 * `AppendingCsv`: a CSV file that grows by rows (e.g. one line of metrics per simulation). Same
 * format and reading rules as `CsvTable`.
 *
 * Why `write` copies the existing file: an Asset writes to a temporary path and renames it over
 * the final path, so that a crash never leaves a half-written output. Appending to the
 * temporary file alone would replace the final file with only the new rows. So `write` copies
 * the final file's bytes (when it exists) to the temporary path, then appends the new rows there, and
 * the rename publishes old + new rows at once — append semantics, still atomic. The header is
 * written only when there is no final file yet; when there is one, its header must equal
 * `data.columns`, so rows never land under the wrong columns. Without a `finalPath` option the
 * handler appends to `path` in place.
 *
 * Two writers appending to the same file at the same time would each copy the old file and the
 * last rename would win, losing the other's rows: appends to one file must be serialised.
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";

import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { checkCsvColumns, expectCsvTable, formatCsvHeader, formatCsvRows, readCsvTable, splitCsvRecords } from "./csv-table.js";
import type { CsvTableData } from "./csv-table.js";

/** Reads the final file, or `undefined` when it does not exist yet. */
async function readExisting(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw new HandlerError(path, `cannot read existing file: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `AppendingCsv`: `write` appends `data.rows` to the file at `finalPath` (header only for a new file); `read` reads the whole table. */
export const AppendingCsv: AssetHandler<CsvTableData> = {
  name: "AppendingCsv",
  async read(path: string, _options?: HandlerOptions): Promise<CsvTableData> {
    return readCsvTable(path);
  },
  async write(path: string, data: CsvTableData, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    const finalPath = options?.finalPath ?? path;
    const table = expectCsvTable(data, "AppendingCsv", finalPath);
    const columns = checkCsvColumns(table.columns);
    if (!columns.ok) throw new HandlerError(finalPath, columns.error.message);
    const rows = formatCsvRows(columns.value, table.rows);
    if (!rows.ok) throw new HandlerError(finalPath, rows.error.message);

    const existing = await readExisting(finalPath);
    if (existing === undefined || existing.length === 0) {
      await writeFile(path, formatCsvHeader(columns.value) + rows.value, "utf8");
      return;
    }
    const header = splitCsvRecords(existing.toString("utf8"), 1);
    if (!header.ok) throw new HandlerError(finalPath, header.error.message);
    const found = header.value[0]?.fields.map((f) => f.text) ?? [];
    if (found.length !== columns.value.length || found.some((name, i) => name !== columns.value[i])) {
      throw new HandlerError(
        finalPath,
        `existing header (${found.join(", ")}) does not match the columns to append (${columns.value.join(", ")})`,
      );
    }
    const appended = (existing[existing.length - 1] === 0x0a ? "" : "\n") + rows.value;
    if (path === finalPath) await appendFile(path, appended, "utf8");
    else await writeFile(path, Buffer.concat([existing, Buffer.from(appended, "utf8")]));
  },
};
