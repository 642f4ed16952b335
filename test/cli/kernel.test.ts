import { afterAll, describe, expect, it } from "vitest";
import { loadNativeAddon } from "../../src/healpix/legendre-native.js";
import { cli, tempProject } from "./harness.js";

const project = tempProject({}, true);
afterAll(() => project.cleanup());
const load = loadNativeAddon();

describe("the Legendre kernel on the command line", () => {
  it("--version names the kernel that runs and its instruction set", async () => {
    const r = await cli(project.dir, ["--version"]);
    expect(r.code).toBe(0);
    const [version, kernel] = r.stdout.trim().split("\n");
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    if (load.ok) expect(kernel).toBe(`Legendre kernel: native (${load.addon.best})`);
    else expect(kernel).toBe(`Legendre kernel: wasm (native unavailable: ${load.reason})`);
  });

  it("--version follows CMBFLOW_KERNEL=wasm", async () => {
    const r = await cli(project.dir, ["--version"], { CMBFLOW_KERNEL: "wasm" });
    expect(r.stdout).toContain("Legendre kernel: wasm (CMBFLOW_KERNEL=wasm)\n");
  });

  it.skipIf(!load.ok)("--version follows CMBFLOW_NATIVE_ISA=sse2", async () => {
    const r = await cli(project.dir, ["--version"], { CMBFLOW_NATIVE_ISA: "sse2" });
    expect(r.stdout).toContain("Legendre kernel: native (sse2)\n");
  });

  it("run stops with one line naming a bad CMBFLOW_KERNEL before doing anything", async () => {
    const r = await cli(project.dir, ["run", "--dry-run"], { CMBFLOW_KERNEL: "fast" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: CMBFLOW_KERNEL must be "native" or "wasm", got "fast"\n');
  });
});
