import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AssetSpec } from "../../src/core/asset.js";
import { InputAsset, OutputAsset } from "../../src/core/asset.js";
import { Namer } from "../../src/core/namer.js";
import { OutputTransaction } from "../../src/core/output-transaction.js";
import { EmptyHandler } from "../../src/handlers/empty-handler.js";
import { PlainText } from "../../src/handlers/plain-text.js";
import type { AssetHandler } from "../../src/handlers/handler.js";

describe("assets and the node transaction", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-asset-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const spec = (handler: AssetHandler, template = "{root}/{stage}/{split}/{sim}/x.txt"): AssetSpec => ({
    name: "x",
    stage: "s",
    producer: "s",
    producerDir: "S_Dir",
    template,
    handler,
    options: {},
  });

  it("forms the path from path_template_alt when the context lacks what path_template needs", () => {
    const alt: AssetSpec = { ...spec(PlainText), templateAlt: "{root}/{stage}/{split}/x.txt" };
    expect(new InputAsset(alt, new Namer({ root: dir }).child({ split: "Train", sim_num: 2 })).path).toBe(join(dir, "S_Dir/Train/sim0002/x.txt"));
    expect(new InputAsset(alt, new Namer({ root: dir }).child({ split: "Train" })).path).toBe(join(dir, "S_Dir/Train/x.txt"));
    // Without an alternative, or when the alternative needs what is missing too, the key is named.
    expect(() => new InputAsset(spec(PlainText), new Namer({ root: dir }).child({ split: "Train" })).path).toThrow('key "sim" is not in the context');
    expect(() => new InputAsset(alt, new Namer({ root: dir })).path).toThrow('key "split" is not in the context');
  });

  it("forms paths with the producer's dir_name and the node context", () => {
    const namer = new Namer({ root: dir }).child({ split: "Train", sim_num: 2, stage: "consumer_dir" });
    const input = new InputAsset(spec(PlainText), namer);
    expect(input.path).toBe(join(dir, "S_Dir/Train/sim0002/x.txt"));
    expect(input.pathFor({ split: "Test" })).toBe(join(dir, "S_Dir/Test/sim0002/x.txt"));
  });

  it("publishes outputs only on commit, creating folders; abort leaves nothing", async () => {
    const namer = new Namer({ root: dir }).child({ split: "Train", sim_num: 0 });
    const tx = new OutputTransaction();
    const out = new OutputAsset<string>(spec(PlainText), namer, tx);
    await out.write("hello");
    const final = join(dir, "S_Dir/Train/sim0000/x.txt");
    expect(existsSync(final)).toBe(false);
    tx.commit();
    expect(readFileSync(final, "utf8")).toBe("hello");

    const tx2 = new OutputTransaction();
    await new OutputAsset<string>(spec(PlainText), namer, tx2).write("second");
    await tx2.abort();
    expect(readFileSync(final, "utf8")).toBe("hello");
    expect(readdirSync(join(dir, "S_Dir/Train/sim0000"))).toEqual(["x.txt"]);
  });

  it("publishes nothing for a handler that writes nothing (EmptyHandler)", async () => {
    const tx = new OutputTransaction();
    await new OutputAsset(spec(EmptyHandler, "{root}/empty/marker"), new Namer({ root: dir }), tx).write(undefined);
    tx.commit();
    expect(existsSync(join(dir, "empty/marker"))).toBe(false);
  });

  it("removes the temporary file when the handler fails", async () => {
    const failing: AssetHandler<string> = {
      name: "Failing",
      read: () => Promise.resolve(""),
      write: async (path) => {
        const { writeFile } = await import("node:fs/promises");
        await writeFile(path, "partial");
        throw new Error("disk full");
      },
    };
    const tx = new OutputTransaction();
    const out = new OutputAsset<string>(spec(failing, "{root}/f/x.txt"), new Namer({ root: dir }), tx);
    await expect(out.write("x")).rejects.toThrow("disk full");
    expect(readdirSync(join(dir, "f"))).toEqual([]);
  });
});
