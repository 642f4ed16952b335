/**
 * cmbflow's published types (dist/*.d.ts) type-check in a user's project with the settings a
 * user has: `strict`, without `skipLibCheck` and without cmbflow's own stricter flags
 * (exactOptionalPropertyTypes). The user's code is the README's executor example plus a
 * reduction (scan and sift) and a handler of their own, as the README documents them.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./project.js";

const REDUCTION = `import { BaseStageExecutor, registerHandler, type AssetHandler, type NodeContext, type ScanResult } from "cmbflow";

export class MeanOfMaps extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    const map = await ctx.input<Float64Array>("cmb_map").read();
    const sim: number | undefined = ctx.partition.sim;
    return map.reduce((a, b) => a + b, 0) / map.length + (sim === undefined ? 0 : 0);
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const means = results.map((r) => r.value as number);
    await ctx.output<string>("mean").write(String(means.reduce((a, b) => a + b, 0) / means.length));
  }
}

const Shout: AssetHandler<string> = {
  name: "Shout",
  read: async () => "",
  write: async () => undefined,
};
registerHandler("Shout", Shout);
`;

describe("the published types", () => {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-consumer-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("type-check in a strict consumer without skipLibCheck, with the README's examples", () => {
    mkdirSync(join(dir, "node_modules", "@types"), { recursive: true });
    symlinkSync(REPO, join(dir, "node_modules", "cmbflow"));
    symlinkSync(join(REPO, "node_modules", "@types", "node"), join(dir, "node_modules", "@types", "node"));
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" })}\n`);
    writeFileSync(
      join(dir, "tsconfig.json"),
      `${JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, types: ["node"] }, include: ["*.ts"] })}\n`,
    );
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(examples.length).toBeGreaterThanOrEqual(2);
    examples.forEach((example, i) => writeFileSync(join(dir, `readme-example-${String(i)}.ts`), example));
    writeFileSync(join(dir, "reduction.ts"), REDUCTION);
    const tsc = spawnSync(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 60_000);
});
