import { describe, expect, it } from "vitest";
import { error, warning } from "../../src/diagnostics/diagnostic.js";
import { diagnosticSummary, renderDiagnostics } from "../../src/diagnostics/render.js";
import { text } from "./helpers.js";

const FILES: Record<string, string> = {
  "/p/cfg/a.yaml": "first: 1\n\tsecond:\tx\nthird: [1,\n  2]\n",
  "/p/cfg/long.yaml": `${"x: 1\n".repeat(11)}make_cmb:\n  asset_out: {}\n`,
};
const readFile = (path: string): string | undefined => FILES[path];

describe("renderDiagnostics", () => {
  it("shows the file relative to cwd, the line and the underlined span, then the notes", () => {
    const d = error('unknown key "asset_out" in stage "make_cmb"', { file: "/p/cfg/long.yaml", line: 13, column: 3, endColumn: 12 }, [
      'did you mean "assets_out"?',
    ]);
    expect(renderDiagnostics([d], { cwd: "/p", readFile })).toBe(
      text(
        'error: unknown key "asset_out" in stage "make_cmb"',
        "  --> cfg/long.yaml:13:3",
        "   |",
        "13 |   asset_out: {}",
        "   |   ^^^^^^^^^",
        '   = note: did you mean "assets_out"?',
      ),
    );
  });

  it("expands tabs in the source line and under it", () => {
    const d = warning("tab here", { file: "/p/cfg/a.yaml", line: 2, column: 9, endColumn: 10 });
    expect(renderDiagnostics([d], { cwd: "/p/cfg", readFile })).toBe(
      text("warning: tab here", " --> a.yaml:2:9", "  |", "2 |     second:    x", "  |            ^^^^"),
    );
  });

  it("underlines a span over several lines to the end of its first line; one caret for an empty span", () => {
    const multi = error("list", { file: "/p/cfg/a.yaml", line: 3, column: 8, endLine: 4, endColumn: 5 });
    const point = error("point", { file: "/p/cfg/a.yaml", line: 1, column: 9 });
    expect(renderDiagnostics([multi, point], { cwd: "/p", readFile })).toBe(
      text(
        "error: list",
        " --> cfg/a.yaml:3:8",
        "  |",
        "3 | third: [1,",
        "  |        ^^^",
        "",
        "error: point",
        " --> cfg/a.yaml:1:9",
        "  |",
        "1 | first: 1",
        "  |         ^",
      ),
    );
  });

  it("leaves out the excerpt without a location or a readable file, and keeps paths outside cwd absolute", () => {
    const none = error("no place", undefined, ["a note"]);
    const unreadable = error("gone", { file: "/elsewhere/x.yaml", line: 2, column: 1 });
    expect(renderDiagnostics([none, unreadable], { cwd: "/p", readFile })).toBe(
      text("error: no place", "  = note: a note", "", "error: gone", " --> /elsewhere/x.yaml:2:1"),
    );
    expect(renderDiagnostics([], { cwd: "/p" })).toBe("");
  });

  it("colours severity, message, gutter and underline on request", () => {
    const d = error("bad", { file: "/p/cfg/a.yaml", line: 1, column: 1, endColumn: 6 }, ["n"]);
    const out = renderDiagnostics([d], { cwd: "/p", readFile, color: true });
    expect(out).toBe(
      text(
        "\u001b[1;31merror\u001b[0m\u001b[1m: bad\u001b[0m",
        " \u001b[1;34m-->\u001b[0m cfg/a.yaml:1:1",
        "  \u001b[1;34m|\u001b[0m",
        "\u001b[1;34m1 |\u001b[0m first: 1",
        "  \u001b[1;34m|\u001b[0m \u001b[1;31m^^^^^\u001b[0m",
        "  \u001b[1;34m=\u001b[0m \u001b[1mnote\u001b[0m: n",
      ),
    );
  });
});

describe("diagnosticSummary", () => {
  it("counts errors and warnings", () => {
    expect(diagnosticSummary([])).toBe("");
    expect(diagnosticSummary([error("a")])).toBe("1 error");
    expect(diagnosticSummary([error("a"), error("b"), warning("c")])).toBe("2 errors, 1 warning");
    expect(diagnosticSummary([warning("c"), warning("d")])).toBe("2 warnings");
  });
});
