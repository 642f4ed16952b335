import { describe, expect, it } from "vitest";
import type { ReportData } from "../../src/report/report-data.js";
import { escapeHtml, formatBytes, formatDuration, renderReport } from "../../src/report/render-html.js";

const HOSTILE = `<img src=x onerror="alert(1)">'&`;

function data(extra: Partial<ReportData> = {}): ReportData {
  return {
    runId: "2026-12-05T10-00-00-000_abcd",
    outcome: "failed",
    datasetDir: `/data/${HOSTILE}`,
    runDir: "/data/Logs/2026-12-05T10-00-00-000_abcd",
    startedAt: "2026-12-05T10:00:00.000Z",
    durationMs: 4200,
    overrides: [`note=${HOSTILE}`],
    stages: [
      {
        name: "make",
        status: "ran",
        counts: { ran: 2, fresh: 0, restored: 0, failed: 0, skipped: 0 },
        nodeCount: 3,
        startMs: 0,
        durationMs: 1500,
        nodes: [
          { id: `make[sim=0]`, status: "ran", durationMs: 700, usage: { workMs: 650, heapPeakBytes: 48 << 20, heapGrowthBytes: 16 << 20 }, outputs: [{ path: "out/a.fits", provenance: `out/a.fits\n  node        ${HOSTILE}` }] },
          { id: `make[sim=1]`, status: "failed", note: `</script><script>alert(2)</script>`, outputs: [] },
        ],
      },
      { name: "sum", status: "not-run", nodeCount: 1, nodes: [] },
    ],
    edges: [{ from: "make", to: "sum", assets: ["m"] }],
    figures: [{ path: "out/f.png", node: "sum", dataUri: "data:image/png;base64,iVBORw0KGgo=" }],
    configDiff: { kind: "compared", previousRunId: "2026-12-04T10-00-00-000_0000", changes: [{ key: "label", before: '"a"', after: JSON.stringify(HOSTILE) }, { key: "new", after: "1" }] },
    notes: [],
    generatedAt: "2026-12-05T10:01:00.000Z",
    version: "0.1.0",
    ...extra,
  };
}

describe("renderReport", () => {
  it("escapes every text taken from the run: names, paths, messages, config values, provenance", () => {
    const html = renderReport(data());
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;&#39;&#38;");
    expect(html).toContain("&#60;/script&#62;&#60;script&#62;alert(2)&#60;/script&#62;");
    // One script element: the report's own.
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("forbids every request in a Content-Security-Policy and references nothing outside the file", () => {
    const html = renderReport(data());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`);
    // The SVG namespace is a name, not a request; nothing else names a URL.
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(/https?:|\/\/[a-z]|src="(?!data:)|href=/i);
  });

  it("draws each stage as a clickable box coloured by status, with a hidden node list holding durations, memory and outputs", () => {
    const html = renderReport(data());
    expect(html).toMatch(/<g class="stage" data-stage="0" tabindex="0" role="button"[^>]*>.*?fill="#9fd49a"/);
    expect(html).toMatch(/<g class="stage" data-stage="1"[^>]*>.*?stroke-dasharray="5 3"/);
    const panel = /<section class="stage-nodes" data-stage="0" hidden>[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    expect(panel).toContain("3 nodes, ran, work 650 ms, peak 48.0 MiB");
    expect(panel).toContain('<td class="num">700 ms</td><td class="num">650 ms</td><td class="num">48.0 MiB <span class="muted">(+16.0 MiB)</span></td>');
    expect(panel).toContain("<summary class=\"mono\">out/a.fits</summary>");
    expect(panel).toContain("… and 1 more nodes, not listed.");
    expect(html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=" alt="out/f.png">');
    expect(html).toContain('<td class="mono">new</td><td class="mono"><span class="muted">(absent)</span></td><td class="mono">1</td>');
  });

  it("says so when there is no previous run, or no figure", () => {
    const html = renderReport(data({ configDiff: { kind: "first-run" }, figures: [] }));
    expect(html).toContain("This is the dataset's first run: there is no earlier run to compare with.");
    expect(html).toContain("The run's nodes have no PNG outputs.");
  });
});

describe("formatting", () => {
  it("writes durations and sizes in units a reader takes in at once", () => {
    expect([formatDuration(12.4), formatDuration(2345), formatDuration(42_000), formatDuration(245_000)]).toEqual(["12 ms", "2.35 s", "42.0 s", "4 min 05 s"]);
    expect([formatBytes(2048), formatBytes(5.5 * (1 << 20)), formatBytes(3 * (1 << 30))]).toEqual(["2 KiB", "5.5 MiB", "3.00 GiB"]);
    expect(escapeHtml(`a<b>&"c'`)).toBe("a&#60;b&#62;&#38;&#34;c&#39;");
  });
});
