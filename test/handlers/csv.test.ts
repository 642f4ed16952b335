import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { AppendingCsv } from "../../src/handlers/appending-csv.js";
import { CsvTable, formatCsv, parseCsv } from "../../src/handlers/csv-table.js";
import type { CsvTableData } from "../../src/handlers/csv-table.js";
import { hasNumpy, makeTempDir, numpySkipReason, runPython } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

const tricky: CsvTableData = {
  columns: ["sim", "name, with comma", 'say "hi"', "multi\nline", ""],
  rows: [
    [0, "plain", 'a "quoted" word', "two\nlines", null],
    [1, "", "12", "-0.5", 1e-7],
    [-0, "NaN", "x,y", "\r\n", Number.NaN],
    [3.25, " spaced ", "inf", "1e3", -Infinity],
  ],
};

describe("CSV format", () => {
  it("quotes as RFC 4180 and quotes strings that would read back as numbers or null", () => {
    const text = formatCsv(tricky);
    expect(text.ok && text.value).toBe(
      [
        'sim,"name, with comma","say ""hi""","multi',
        'line",""',
        '0,plain,"a ""quoted"" word","two',
        'lines",',
        '1,"","12","-0.5",1e-7',
        '-0,"NaN","x,y","\r',
        '",NaN',
        '3.25, spaced ,"inf","1e3",-Infinity',
        "",
      ].join("\n"),
    );
  });

  it("reads back exactly what it writes", () => {
    const text = formatCsv(tricky);
    const parsed = parseCsv(text.ok ? text.value : "");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.columns).toEqual(tricky.columns);
    expect(parsed.value.rows.length).toBe(tricky.rows.length);
    parsed.value.rows.forEach((row, r) => row.forEach((cell, c) => expect(Object.is(cell, tricky.rows[r]?.[c])).toBe(true)));
  });

  it("parses numbers where the unquoted text is a number, null for empty, strings otherwise; CRLF and a BOM are fine", () => {
    const parsed = parseCsv('\ufeffa,b,c\r\n12,-3.5e2,.5\r\n007,1.2.3,""\r\n,+inf,nan\r\n0x10,1_000, 4\r\n');
    expect(parsed.ok && parsed.value).toEqual({
      columns: ["a", "b", "c"],
      rows: [
        [12, -350, 0.5],
        [7, "1.2.3", ""],
        [null, Infinity, Number.NaN],
        ["0x10", "1_000", " 4"],
      ],
    });
  });

  it("keeps a one-column table with empty cells and a final line without a newline", () => {
    const parsed = parseCsv("v\n\n1\n2");
    expect(parsed.ok && parsed.value.rows).toEqual([[null], [1], [2]]);
  });

  it("reports malformed CSV with the line it starts on", () => {
    const message = (text: string): string => {
      const parsed = parseCsv(text);
      return parsed.ok ? "ok" : parsed.error.message;
    };
    expect(message("")).toBe("empty file: no header row");
    expect(message("a,b\n1,2\n3\n")).toBe("line 3: expected 2 fields, found 1");
    expect(message('a,b\n1,"two\nlines\n')).toBe("line 2: unterminated quoted field");
    expect(message('a,b\n1,ab"c\n')).toBe("line 2: unexpected '\"' in unquoted field");
    expect(message('a,b\n"x\ny"z,1\n')).toBe("line 3: unexpected character after closing quote");
    expect(message('a,b\n"x\ny",1\n3,4,5\n')).toBe("line 4: expected 2 fields, found 3");
  });

  it("refuses tables it cannot write", () => {
    const message = (table: CsvTableData): string => {
      const text = formatCsv(table);
      return text.ok ? "ok" : text.error.message;
    };
    expect(message({ columns: [], rows: [] })).toBe("a CSV table needs at least one column");
    expect(message({ columns: ["a", "b"], rows: [[1, 2], [3]] })).toBe("row 2 has 1 cells, expected 2 (one per column)");
    expect(message({ columns: ["a"], rows: [[true as unknown as number]] })).toBe(
      'row 1, column "a": expected a string, a number or null, got boolean',
    );
  });
});

describe("CsvTable handler", () => {
  it("writes and reads a file, naming the file in errors", async () => {
    const path = join(dir, "table.csv");
    await CsvTable.write(path, tricky);
    const back = await CsvTable.read(path);
    expect(back.columns).toEqual(tricky.columns);
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "a,b\n1,2,3\n");
    await expect(CsvTable.read(bad)).rejects.toThrow(`${bad}: line 2: expected 2 fields, found 3`);
    const missing = join(dir, "missing.csv");
    await expect(CsvTable.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    await expect(CsvTable.write(join(dir, "t"), { columns: ["a"], rows: [[1, 2]] }, { finalPath: "/o/t.csv" })).rejects.toThrow(
      "/o/t.csv: row 1 has 2 cells, expected 1 (one per column)",
    );
    await expect(CsvTable.write(join(dir, "t"), "a,b" as unknown as CsvTableData, { finalPath: "/o/t.csv" })).rejects.toThrow(
      "/o/t.csv: CsvTable expects {columns, rows}, got string",
    );
  });
});

describe("AppendingCsv handler", () => {
  it("writes the header once and appends rows through the Asset's temp-then-rename", async () => {
    const finalPath = join(dir, "metrics.csv");
    const tmp1 = join(dir, ".metrics.csv.tmp1");
    await AppendingCsv.write(tmp1, { columns: ["sim", "rms"], rows: [[0, 1.5]] }, { finalPath });
    // The Asset renames the temp file into place; simulate that.
    await writeFile(finalPath, await readFile(tmp1));
    const tmp2 = join(dir, ".metrics.csv.tmp2");
    await AppendingCsv.write(tmp2, { columns: ["sim", "rms"], rows: [[1, 2.5], [2, "n/a"]] }, { finalPath });
    expect(await readFile(finalPath, "utf8")).toBe("sim,rms\n0,1.5\n"); // untouched until the rename
    expect(await readFile(tmp2, "utf8")).toBe("sim,rms\n0,1.5\n1,2.5\n2,n/a\n");
    await writeFile(finalPath, await readFile(tmp2));
    expect(await AppendingCsv.read(finalPath)).toEqual({ columns: ["sim", "rms"], rows: [[0, 1.5], [1, 2.5], [2, "n/a"]] });
  });

  it("appends in place without a finalPath, and adds a missing final newline first", async () => {
    const path = join(dir, "inplace.csv");
    await writeFile(path, "a,b\n1,2");
    await AppendingCsv.write(path, { columns: ["a", "b"], rows: [[3, 4]] });
    expect(await readFile(path, "utf8")).toBe("a,b\n1,2\n3,4\n");
  });

  it("refuses to append under a different header", async () => {
    const finalPath = join(dir, "other.csv");
    await writeFile(finalPath, "sim,rms\n0,1\n");
    await expect(AppendingCsv.write(join(dir, "t"), { columns: ["sim", "mean"], rows: [[1, 2]] }, { finalPath })).rejects.toThrow(
      `${finalPath}: existing header (sim, rms) does not match the columns to append (sim, mean)`,
    );
  });
});

describe(`Python's csv module reads what we write${numpySkipReason}`, () => {
  it.skipIf(!hasNumpy)("same fields as RFC 4180 readers see them", async () => {
    const path = join(dir, "py.csv");
    await CsvTable.write(path, tricky);
    const out = runPython("import csv, json, sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", [path]);
    const rows = JSON.parse(out) as string[][];
    expect(rows[0]).toEqual(tricky.columns);
    expect(rows[1]).toEqual(["0", "plain", 'a "quoted" word', "two\nlines", ""]);
    expect(rows[3]).toEqual(["-0", "NaN", "x,y", "\r\n", "NaN"]);
  });
});
