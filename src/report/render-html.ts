/**
 * Renders the run report as one self-contained HTML file: inline CSS, inline script, the DAG
 * and timing bars as inline SVG, figures as data: URIs. A Content-Security-Policy forbids every
 * request the page could make, so opening it never touches the network. Every text taken from
 * the run (names, paths, config values, messages) goes through {@link escapeHtml}.
 */
import type { ConfigDiff, NodeStatus, ReportData, ReportFigure, ReportNode, ReportStage, StageStatus } from "./report-data.js";
import { BOX, layoutDag } from "./dag-layout.js";
import { assertNever } from "../diagnostics/result.js";

/** Text made safe for HTML content and quoted attribute values (also in inline SVG). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

const e = escapeHtml;

/** Stage colours by status (fill, and a word for the legend). */
const STAGE_STYLE: Readonly<Record<StageStatus, { readonly fill: string; readonly label: string }>> = {
  failed: { fill: "#f4a6a4", label: "failed" },
  skipped: { fill: "#f6d28b", label: "some nodes skipped" },
  ran: { fill: "#9fd49a", label: "ran" },
  restored: { fill: "#a9cdee", label: "restored from the run-cache" },
  fresh: { fill: "#dfe6ec", label: "fresh (nothing to do)" },
  "not-run": { fill: "#ffffff", label: "not in this run" },
};

const NODE_WORDS: Readonly<Record<NodeStatus, string>> = {
  ran: "ran",
  failed: "failed",
  restored: "restored",
  blocked: "skipped: a dependency failed",
  fresh: "fresh",
  "not-logged": "fresh, or not started (the run stopped)",
};

/** `850 ms`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 60))} min ${String(s % 60).padStart(2, "0")} s`;
}

/** `512 KiB`, `36.4 MiB`, `1.20 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 1 << 30) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2329; background: #f7f8fa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5dbe1; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: #5b6670; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; }
.outcome-success { background: #9fd49a; } .outcome-failed { background: #f4a6a4; } .outcome-interrupted, .outcome-unfinished { background: #f6d28b; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #fff; border: 1px solid #d5dbe1; padding: 8px; overflow-x: auto; white-space: pre; }
.card { background: #fff; border: 1px solid #d5dbe1; border-radius: 6px; padding: 12px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
g.stage { cursor: pointer; }
g.stage:focus { outline: none; }
g.stage:focus rect.box, g.stage:hover rect.box { stroke-width: 2.5; }
g.stage.selected rect.box { stroke: #1f5fa8; stroke-width: 3; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; color: #3c4650; }
.legend span.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #6b7680; vertical-align: -2px; margin-right: 4px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #e3e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.mono { overflow-wrap: anywhere; }
td pre { max-width: 560px; overflow-x: auto; margin: 4px 0; }
.status-failed { color: #a4161a; font-weight: 600; } .status-blocked { color: #8a5a00; }
ul.outputs { list-style: none; margin: 0; padding: 0; }
details summary { cursor: pointer; overflow-wrap: anywhere; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
figure { margin: 0; } figure img { max-width: 100%; border: 1px solid #d5dbe1; background: #fff; }
figcaption { font-size: 12.5px; color: #3c4650; overflow-wrap: anywhere; }
.muted { color: #5b6670; }
`;

/** Keeps one stage's node list shown, the others hidden; a stage is picked by click or Enter/Space. */
const SCRIPT = `
(() => {
  const panels = Array.from(document.querySelectorAll("section.stage-nodes"));
  const boxes = Array.from(document.querySelectorAll("g.stage"));
  const placeholder = document.getElementById("no-stage");
  const show = (index) => {
    for (const panel of panels) panel.hidden = panel.dataset.stage !== index;
    for (const box of boxes) box.classList.toggle("selected", box.dataset.stage === index);
    if (placeholder) placeholder.hidden = true;
  };
  for (const box of boxes) {
    box.addEventListener("click", () => show(box.dataset.stage));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        show(box.dataset.stage);
      }
    });
  }
})();
`;

/** The whole report. */
export function renderReport(data: ReportData): string {
  const title = `cmbflow run ${data.runId}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(data)}
${pipeline(data)}
${timing(data)}
${figures(data.figures)}
${configSection(data.configDiff, data.overrides)}
${data.notes.length === 0 ? "" : `<h2>Notes</h2>\n<ul>${data.notes.map((n) => `<li>${e(n)}</li>`).join("")}</ul>`}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function header(data: ReportData): string {
  const facts: [string, string][] = [
    ["outcome", `<span class="badge outcome-${e(data.outcome)}">${e(data.outcome)}</span>`],
    ["started", data.startedAt === undefined ? "unknown" : e(data.startedAt)],
    ["took", data.durationMs === undefined ? "unknown" : e(formatDuration(data.durationMs))],
    ["dataset", `<span class="mono">${e(data.datasetDir)}</span>`],
    ["log folder", `<span class="mono">${e(data.runDir)}</span>`],
    ["overrides", data.overrides.length === 0 ? "none" : data.overrides.map((o) => `<code>${e(o)}</code>`).join(" ")],
  ];
  const counts = { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 };
  for (const s of data.stages) if (s.counts !== undefined) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += s.counts[k];
  facts.push(["nodes", e(Object.entries(counts).map(([k, n]) => `${String(n)} ${k}`).join(", "))]);
  return `<h1>${e(`cmbflow run ${data.runId}`)}</h1>
<p class="muted">Report made ${e(data.generatedAt)} by cmbflow ${e(data.version)}.</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function pipeline(data: ReportData): string {
  const layout = layoutDag(
    data.stages.map((s) => s.name),
    data.edges,
  );
  const index = new Map(data.stages.map((s, i) => [s.name, i]));
  const parts: string[] = [];
  parts.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7680"/></marker></defs>`);
  data.edges.forEach((edge, k) => {
    const a = layout.stages.get(edge.from);
    const b = layout.stages.get(edge.to);
    if (a === undefined || b === undefined) return;
    // From the bottom of one box to the top of the other, straight down through each waypoint
    // (the edge's slot in a layer it crosses) and curving between them.
    let x = a.x + BOX.width / 2;
    let y = a.y + BOX.height;
    let d = `M${f(x)},${f(y)}`;
    const to = (x2: number, y2: number): void => {
      const my = (y + y2) / 2;
      d += ` C${f(x)},${f(my)} ${f(x2)},${f(my)} ${f(x2)},${f(y2)}`;
      x = x2;
      y = y2;
    };
    for (const w of layout.waypoints[k] ?? []) {
      to(w.x, w.top);
      d += ` L${f(w.x)},${f(w.bottom)}`;
      y = w.bottom;
    }
    to(b.x + BOX.width / 2, b.y - 2);
    parts.push(`<path class="edge" d="${d}" fill="none" stroke="#6b7680" stroke-width="1.4" marker-end="url(#arrow)"><title>${e(`${edge.to} reads ${edge.assets.join(", ")} of ${edge.from}`)}</title></path>`);
  });
  for (const stage of data.stages) {
    const at = layout.stages.get(stage.name);
    if (at === undefined) continue;
    const i = String(index.get(stage.name) ?? 0);
    const style = STAGE_STYLE[stage.status];
    const name = stage.name.length > 26 ? `${stage.name.slice(0, 25)}…` : stage.name;
    const line = stage.counts === undefined ? "not in this run" : countsLine(stage);
    parts.push(
      `<g class="stage" data-stage="${i}" tabindex="0" role="button" aria-label="${e(`stage ${stage.name}: ${style.label}`)}">` +
        `<title>${e(`${stage.name}: ${style.label}; ${String(stage.nodeCount)} node${stage.nodeCount === 1 ? "" : "s"}. Click to list them.`)}</title>` +
        `<rect class="box" x="${f(at.x)}" y="${f(at.y)}" width="${String(BOX.width)}" height="${String(BOX.height)}" rx="6" fill="${style.fill}" stroke="#4a5560" stroke-width="1.2"${stage.status === "not-run" ? ' stroke-dasharray="5 3"' : ""}/>` +
        `<text x="${f(at.x + BOX.width / 2)}" y="${f(at.y + 23)}" text-anchor="middle" font-size="14" font-weight="600" fill="#1d2329">${e(name)}</text>` +
        `<text x="${f(at.x + BOX.width / 2)}" y="${f(at.y + 42)}" text-anchor="middle" font-size="11.5" fill="#2c353e">${e(line)}</text>` +
        `</g>`,
    );
  }
  const svg = `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${f(layout.width)}" height="${f(layout.height)}" viewBox="0 0 ${f(layout.width)} ${f(layout.height)}" role="img" aria-label="the pipeline's stages">${parts.join("")}</svg>`;
  const legend = `<div class="legend">${(Object.keys(STAGE_STYLE) as StageStatus[])
    .map((s) => `<span><span class="swatch" style="background:${STAGE_STYLE[s].fill}"></span>${e(STAGE_STYLE[s].label)}</span>`)
    .join("")}</div>`;
  const panels = data.stages.map((s, i) => nodePanel(s, i)).join("\n");
  return `<h2>Pipeline</h2>
<p class="muted">Stages coloured by what their nodes did in this run. Click a stage to list its nodes.</p>
${legend}
<div class="card" style="overflow-x:auto">${svg}</div>
<p id="no-stage" class="muted">No stage selected.</p>
${panels}`;
}

function f(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function countsLine(stage: ReportStage): string {
  const c = stage.counts;
  if (c === undefined) return "";
  const parts: string[] = [];
  for (const k of ["ran", "restored", "fresh", "failed", "skipped"] as const) if (c[k] > 0) parts.push(`${String(c[k])} ${k}`);
  return parts.length === 0 ? "no nodes" : parts.join(" · ");
}

function nodePanel(stage: ReportStage, index: number): string {
  let work = 0;
  let peak = 0;
  let measured = false;
  for (const n of stage.nodes) {
    if (n.usage === undefined) continue;
    measured = true;
    work += n.usage.workMs;
    peak = Math.max(peak, n.usage.heapPeakBytes);
  }
  const summary = [`${String(stage.nodeCount)} node${stage.nodeCount === 1 ? "" : "s"}`, STAGE_STYLE[stage.status].label];
  if (measured) summary.push(`work ${formatDuration(work)}`, `peak ${formatBytes(peak)}`);
  const rows = stage.nodes.map(nodeRow).join("");
  const more = stage.nodeCount > stage.nodes.length ? `<p class="muted">… and ${String(stage.nodeCount - stage.nodes.length)} more nodes, not listed.</p>` : "";
  return `<section class="stage-nodes" data-stage="${String(index)}" hidden>
<h3>${e(stage.name)} <span class="muted">— ${e(summary.join(", "))}</span></h3>
<table><thead><tr><th>node</th><th>status</th><th title="from hand-over to the runner to the result">duration</th><th title="the node's work in its thread">work</th><th title="peak of the running thread's V8 heap in use plus external (ArrayBuffer) memory; in brackets what the node added">peak memory</th><th>outputs</th></tr></thead>
<tbody>${rows}</tbody></table>${more}
</section>`;
}

function nodeRow(n: ReportNode): string {
  const status = `<span class="status-${n.status}">${e(NODE_WORDS[n.status])}</span>${n.note === undefined ? "" : `<br><span class="muted">${e(n.note)}</span>`}${n.measuredIn === undefined ? "" : `<br><span class="muted">${e(`figures from run ${n.measuredIn}`)}</span>`}`;
  const outputs =
    n.outputs.length === 0
      ? `<span class="muted">none recorded</span>`
      : `<ul class="outputs">${n.outputs
          .map((o) => (o.provenance === undefined ? `<li class="mono">${e(o.path)}</li>` : `<li><details><summary class="mono">${e(o.path)}</summary><pre>${e(o.provenance)}</pre></details></li>`))
          .join("")}</ul>`;
  return `<tr><td class="mono">${e(n.id)}</td><td>${status}</td><td class="num">${n.durationMs === undefined ? "—" : e(formatDuration(n.durationMs))}</td><td class="num">${
    n.usage === undefined ? "—" : e(formatDuration(n.usage.workMs))
  }</td><td class="num">${n.usage === undefined ? "—" : `${e(formatBytes(n.usage.heapPeakBytes))} <span class="muted">(+${e(formatBytes(n.usage.heapGrowthBytes))})</span>`}</td><td>${outputs}</td></tr>`;
}

function timing(data: ReportData): string {
  const label = 190;
  const area = 640;
  const row = 24;
  const total = Math.max(1, data.durationMs ?? 0, ...data.stages.map((s) => (s.startMs ?? 0) + (s.durationMs ?? 0)));
  const rows = data.stages.map((s, i) => {
    const y = 8 + i * row;
    const name = s.name.length > 26 ? `${s.name.slice(0, 25)}…` : s.name;
    const head = `<text x="${String(label - 8)}" y="${String(y + 15)}" text-anchor="end" font-size="12.5" fill="#1d2329">${e(name)}</text>`;
    if (s.durationMs === undefined) return `${head}<text x="${String(label)}" y="${String(y + 15)}" font-size="12" fill="#5b6670">not in this run</text>`;
    const x = label + ((s.startMs ?? 0) / total) * area;
    const w = Math.max(2, (s.durationMs / total) * area);
    return `${head}<rect x="${f(x)}" y="${String(y + 3)}" width="${f(w)}" height="${String(row - 8)}" rx="2" fill="${STAGE_STYLE[s.status].fill}" stroke="#4a5560" stroke-width="1"><title>${e(
      `${s.name}: started ${formatDuration(s.startMs ?? 0)} into the run, took ${formatDuration(s.durationMs)}`,
    )}</title></rect><text x="${f(x + w + 6)}" y="${String(y + 15)}" font-size="12" fill="#2c353e">${e(formatDuration(s.durationMs))}</text>`;
  });
  const height = 16 + data.stages.length * row;
  const width = label + area + 90;
  return `<h2>Timing</h2>
<p class="muted">Each stage from its first node's start to its last node's end, on the run's clock (${e(formatDuration(total))} in all).</p>
<div class="card" style="overflow-x:auto"><svg class="timing" xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" viewBox="0 0 ${String(width)} ${String(height)}" role="img" aria-label="stage timing">${rows.join("")}</svg></div>`;
}

function figures(list: readonly ReportFigure[]): string {
  if (list.length === 0) return `<h2>Figures</h2>\n<p class="muted">The run's nodes have no PNG outputs.</p>`;
  const items = list.map((fig) =>
    fig.dataUri === undefined
      ? `<figure><p class="muted">${e(fig.problem ?? "not shown")}</p><figcaption><span class="mono">${e(fig.path)}</span> — ${e(fig.node)}</figcaption></figure>`
      : `<figure><img src="${e(fig.dataUri)}" alt="${e(fig.path)}"><figcaption><span class="mono">${e(fig.path)}</span> — ${e(fig.node)}</figcaption></figure>`,
  );
  return `<h2>Figures</h2>\n<div class="figures">${items.join("")}</div>`;
}

function configSection(diff: ConfigDiff, overrides: readonly string[]): string {
  const head = `<h2>Configuration changes</h2>`;
  switch (diff.kind) {
    case "first-run":
      return `${head}\n<p class="muted">This is the dataset's first run: there is no earlier run to compare with.</p>`;
    case "unreadable":
      return `${head}\n<p>The configurations could not be compared: ${e(diff.problem)}</p>`;
    case "compared": {
      const intro = `<p class="muted">The resolved configuration of this run against that of the previous run, ${e(diff.previousRunId)}${overrides.length === 0 ? "" : `; this run's overrides: ${overrides.map((o) => `<code>${e(o)}</code>`).join(" ")}`}.</p>`;
      if (diff.changes.length === 0) return `${head}\n${intro}\n<p>No key changed.</p>`;
      const rows = diff.changes
        .map((c) => `<tr><td class="mono">${e(c.key)}</td><td class="mono">${c.before === undefined ? '<span class="muted">(absent)</span>' : e(c.before)}</td><td class="mono">${c.after === undefined ? '<span class="muted">(absent)</span>' : e(c.after)}</td></tr>`)
        .join("");
      return `${head}\n${intro}\n<table class="config-diff"><thead><tr><th>key</th><th>previous run</th><th>this run</th></tr></thead><tbody>${rows}</tbody></table>`;
    }
    default:
      return assertNever(diff);
  }
}
