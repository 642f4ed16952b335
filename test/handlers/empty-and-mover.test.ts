import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EmptyHandler } from "../../src/handlers/empty-handler.js";
import { Mover } from "../../src/handlers/mover.js";
import { makeTempDir } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

describe("EmptyHandler", () => {
  it("reads undefined without touching the file system and writes nothing", async () => {
    const path = join(dir, "empty", "model_dir");
    expect(await EmptyHandler.read(path)).toBeUndefined();
    await EmptyHandler.write(path, undefined, { finalPath: path });
    expect(existsSync(join(dir, "empty"))).toBe(false);
  });
});

describe("Mover", () => {
  it("moves a file to the asset path and reads back the path", async () => {
    const source = join(dir, "produced-by-tool.fits");
    await writeFile(source, "payload");
    const target = join(dir, "asset.fits");
    await Mover.write(target, source);
    expect(existsSync(source)).toBe(false);
    expect(await readFile(target, "utf8")).toBe("payload");
    expect(await Mover.read(target)).toBe(target);
  });

  it("moves a folder", async () => {
    const source = join(dir, "tool-out");
    await mkdir(join(source, "sub"), { recursive: true });
    await writeFile(join(source, "sub", "a.txt"), "a");
    const target = join(dir, "moved-folder");
    await Mover.write(target, source);
    expect(await readdir(join(target, "sub"))).toEqual(["a.txt"]);
  });

  it("reports a missing source (naming the final path) and a missing file on read", async () => {
    const missing = join(dir, "nothing-here");
    await expect(Mover.write(join(dir, "tmp"), missing, { finalPath: "/data/out/x.fits" })).rejects.toThrow(
      `/data/out/x.fits: cannot move ${missing} here: it does not exist`,
    );
    await expect(Mover.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    await expect(Mover.write(join(dir, "tmp"), 3 as unknown as string, { finalPath: "/o/x" })).rejects.toThrow(
      "/o/x: Mover expects the path of the file to move, got number",
    );
  });

  // /dev/shm is a tmpfs on Linux: a rename from it to the temp folder fails with EXDEV.
  const otherDevice = existsSync("/dev/shm");
  it.skipIf(!otherDevice)("copies and then removes the source across file systems", async () => {
    const shmDir = await mkdtemp("/dev/shm/cmbflow-mover-");
    try {
      const [a, b] = await Promise.all([stat(shmDir), stat(dir)]);
      if (a.dev === b.dev) return; // same device here: nothing to test
      const source = join(shmDir, "big.bin");
      await writeFile(source, Buffer.alloc(4096, 7));
      const target = join(dir, "from-shm.bin");
      await Mover.write(target, source);
      expect(existsSync(source)).toBe(false);
      expect((await readFile(target)).equals(Buffer.alloc(4096, 7))).toBe(true);
    } finally {
      await rm(shmDir, { recursive: true, force: true });
    }
  });
});
