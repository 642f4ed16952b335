/**
 * The HTML report in a real browser: Debian's chromium, driven by playwright-core, opens the
 * report of a small pipeline's run from file://, a stage is clicked and its nodes are listed,
 * and a screenshot is taken and checked. The page must log no console error, throw no page
 * error and make no network request (a config value carrying markup that would do all three,
 * were it not escaped, is part of the run).
 *
 * Skipped, with the reason in the suite title, where /usr/bin/chromium is absent
 * (.ci/setup-chromium.sh installs it in CI). Set CMBFLOW_REPORT_SCREENSHOT=path to keep the screenshot.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PNG } from "pngjs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const CHROMIUM = "/usr/bin/chromium";
const title = existsSync(CHROMIUM)
  ? "the HTML report in chromium"
  : `the HTML report in chromium — SKIPPED: ${CHROMIUM} is absent (apt-get install chromium, or run .ci/setup-chromium.sh)`;

const SMALL = ["scenario=nside16", "splits=1-1"];
/** Markup in a config value: unescaped, it would request a file and log an error. */
const PROBE = "+report_probe=</script><img src=probe.png onerror=console.error('unescaped')>";
/** Changes make_noise's parameters: make_noise and what reads it run again, make_cmb stays fresh. */
const CHANGE = "scenario.detectors.30.depth_ukarcmin=300";
/** The fill of a stage that ran (render-html.ts), as it must appear in the screenshot. */
const RAN_FILL = [0x9f, 0xd4, 0x9a] as const;

describe.skipIf(!existsSync(CHROMIUM))(title, () => {
  let project: Project;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  let reportUrl: string;

  beforeAll(async () => {
    project = makeProject({}, { defaultCfg: true });
    for (const args of [[...SMALL, PROBE], [...SMALL, PROBE, CHANGE]]) {
      const run = project.run(["run", "-q", ...args]);
      if (run.code !== 0) throw new Error(run.stderr);
    }
    const made = project.run(["report", ...SMALL, PROBE, CHANGE, "-o", "report.html"]);
    if (made.code !== 0) throw new Error(made.stderr);
    reportUrl = pathToFileURL(join(project.dir, "report.html")).href;

    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "cmbflow-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 900 },
    });
    context.on("request", (request) => {
      // The report itself is the one load allowed; its images are data: URIs, which are not requests.
      if (request.url() !== reportUrl && !request.url().startsWith("data:")) requests.push(request.url());
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(reportUrl);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    project?.cleanup();
  });

  it("shows the DAG with every stage, coloured, and no node list until a stage is clicked", async () => {
    expect(await page.title()).toMatch(/^cmbflow run \S+$/);
    expect(await page.locator("svg.dag g.stage").count()).toBe(9);
    expect(await page.locator('g.stage[aria-label="stage make_noise: ran"]').count()).toBe(1);
    expect(await page.locator('g.stage[aria-label="stage make_cmb: fresh (nothing to do)"]').count()).toBe(1);
    expect(await page.locator("section.stage-nodes:visible").count()).toBe(0);
    await expect.poll(() => page.locator("#no-stage").isVisible()).toBe(true);
  });

  it("lists a stage's nodes when it is clicked, with status, duration, peak memory and outputs", async () => {
    await page.locator('g.stage[aria-label^="stage make_noise:"]').click();
    const panel = page.locator("section.stage-nodes:visible");
    expect(await panel.count()).toBe(1);
    expect(await panel.locator("h3").innerText()).toMatch(/^make_noise — 9 nodes, ran, work [\d.]+ m?s, peak [\d.]+ MiB$/);
    const rows = await panel.locator("tbody tr").allInnerTexts();
    expect(rows).toHaveLength(9);
    expect(rows[0]).toMatch(/^make_noise\[split=Train,sim=0,freq=30\]\s+ran\s+[\d.]+ m?s\s+[\d.]+ m?s\s+[\d.]+ MiB \(\+[\d.]+ [KM]iB\)\s+data\/T_16_1-1\/Simulation_Working\/C_Make_Noise\/Train\/sim0000\/noise_30_map\.fits$/);
    expect(await page.locator("#no-stage").isVisible()).toBe(false);
    // An output's provenance opens under it.
    await panel.locator("details summary").first().click();
    expect(await panel.locator("details[open] pre").innerText()).toContain("  node        make_noise[split=Train,sim=0,freq=30]\n");
  });

  it("switches to another stage by keyboard, listing nodes fresh in this run with the run that made them", async () => {
    await page.locator('g.stage[aria-label^="stage make_cmb:"]').focus();
    await page.keyboard.press("Enter");
    const panel = page.locator("section.stage-nodes:visible");
    expect(await panel.count()).toBe(1);
    const rows = await panel.locator("tbody tr").allInnerTexts();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/^make_cmb\[split=\w+,sim=0\]\s+fresh\s+figures from run \S+/);
    expect(await page.locator("g.stage.selected").getAttribute("aria-label")).toBe("stage make_cmb: fresh (nothing to do)");
  });

  it("shows the figures, the config change and the markup in the config as text", async () => {
    const sizes = await page.locator(".figures img").evaluateAll((imgs: readonly { readonly naturalWidth: number }[]) => imgs.map((img) => img.naturalWidth));
    expect(sizes.length).toBeGreaterThan(0);
    for (const width of sizes) expect(width).toBeGreaterThan(100);
    const diff = await page.locator("table.config-diff tbody tr").allInnerTexts();
    expect(diff).toEqual(["scenario.detectors.30.depth_ukarcmin\t150\t300"]);
    expect(await page.locator("img[src='probe.png']").count()).toBe(0);
    expect(await page.getByText("report_probe=</script><img src=probe.png", { exact: false }).count()).toBeGreaterThan(0);
  });

  it("renders to a sane screenshot: full width, the DAG's colours in it", async () => {
    await page.locator('g.stage[aria-label^="stage make_noise:"]').click();
    const shot = await page.screenshot({ fullPage: true });
    const keep = process.env["CMBFLOW_REPORT_SCREENSHOT"];
    const png = PNG.sync.read(shot);
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThan(900);
    let ran = 0;
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0];
      colours.add((r << 16) | (g << 8) | b);
      if (r === RAN_FILL[0] && g === RAN_FILL[1] && b === RAN_FILL[2]) ran++;
    }
    // Not blank: text, boxes and figures make thousands of colours; the stages that ran fill boxes and bars.
    expect(colours.size).toBeGreaterThan(200);
    expect(ran).toBeGreaterThan(5 * 180 * 40);
    if (keep !== undefined) writeFileSync(keep, shot);
  });

  it("logged no console error, threw no page error and made no network request", () => {
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(requests).toEqual([]);
    expect(readFileSync(join(project.dir, "report.html"), "utf8")).not.toContain("<img src=probe.png");
  });
});
