/**
 * The default pipeline is temperature-only and its outputs are pinned: the digests in
 * test/fixtures/default-pipeline-1-1.digests.json were recorded before polarisation was added,
 * and the same run must still write exactly those bytes (the figure excepted: its drawing is
 * meant to change).
 *
 * The digests were made by the WebAssembly Legendre kernel, so the run pins it
 * (CMBFLOW_KERNEL=wasm): the native kernel's fused multiply-adds change the last bits of the
 * transforms, which test/healpix/legendre-native.test.ts bounds (1e-13 relative).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { REPO, makeProject } from "./project.js";

const pinned = JSON.parse(readFileSync(join(REPO, "test", "fixtures", "default-pipeline-1-1.digests.json"), "utf8")) as { files: Record<string, string> };

describe("the default pipeline's outputs", () => {
  let project: Project;
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    result = project.run(["run", "splits=1-1"], { CMBFLOW_KERNEL: "wasm" });
  }, 180_000);
  afterAll(() => project.cleanup());

  it("are byte-identical to those recorded before polarisation was added", () => {
    expect(result.stderr).toContain("done: ");
    const dataset = join(project.dir, "data", "T_64_1-1");
    const seen: Record<string, string> = {};
    for (const path of Object.keys(pinned.files)) {
      seen[path] = createHash("sha256").update(readFileSync(join(dataset, path))).digest("hex");
    }
    expect(seen).toEqual(pinned.files);
  });
});
