import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { HandlerError } from "../../src/handlers/handler.js";
import { PlainText } from "../../src/handlers/plain-text.js";
import { makeTempDir } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

describe("PlainText", () => {
  it("round-trips text exactly, without adding a newline", async () => {
    const path = join(dir, "note.txt");
    const text = "ℓ ≤ 2·nside\r\nno trailing newline";
    await PlainText.write(path, text);
    expect(await readFile(path, "utf8")).toBe(text);
    expect(await PlainText.read(path)).toBe(text);
  });

  it("reports a missing file, a directory and invalid UTF-8 as HandlerErrors", async () => {
    const missing = join(dir, "missing.txt");
    const error = await PlainText.read(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).path).toBe(missing);
    expect((error as HandlerError).message).toBe(`${missing}: file does not exist`);
    const folder = join(dir, "folder");
    await mkdir(folder);
    await expect(PlainText.read(folder)).rejects.toThrow(`${folder}: is a directory, not a file`);
    const binary = join(dir, "binary.txt");
    await writeFile(binary, Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    await expect(PlainText.read(binary)).rejects.toThrow(`${binary}: not valid UTF-8 text`);
  });

  it("refuses to write something that is not a string, naming the final path", async () => {
    await expect(PlainText.write(join(dir, "t"), 42 as unknown as string, { finalPath: "/out/a.txt" })).rejects.toThrow(
      "/out/a.txt: PlainText expects a string, got number",
    );
  });
});
