import { describe, expect, it } from "vitest";

import { Canvas, Mask, drawText, fillContours, measureText, plain } from "../../src/handlers/plot/canvas.js";
import { FONT_NAME, GLYPH_ASCENT, fontPixelSize, glyphOutline, hasGlyph } from "../../src/handlers/plot/font.js";

const WHITE = { r: 255, g: 255, b: 255 };
const BLACK = { r: 0, g: 0, b: 0 };

/** Grey levels of the pixels of `canvas` that are not white. */
function ink(canvas: Canvas): number[] {
  const out: number[] = [];
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const v = canvas.data[4 * i] ?? 255;
    if (v !== 255) out.push(v);
  }
  return out;
}

/** Rows and columns of `canvas` holding ink: [minX, minY, maxX, maxY]. */
function inkBox(canvas: Canvas): [number, number, number, number] {
  let box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      if ((canvas.data[4 * (y * canvas.width + x)] ?? 255) === 255) continue;
      box = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)];
    }
  }
  return box;
}

describe("the embedded font", () => {
  it(`is ${FONT_NAME}, proportional, with the symbols plots need`, () => {
    expect(FONT_NAME).toBe("DejaVu Sans");
    expect(measureText(plain("iiii", 2)).width).toBeLessThan(measureText(plain("MMMM", 2)).width / 2);
    for (const ch of "μℓ×²±°πσ") expect(hasGlyph(ch.codePointAt(0) ?? 0)).toBe(true);
    // A character the font lacks still advances (as the .notdef box) rather than vanishing.
    expect(hasGlyph(0x4e00)).toBe(false);
    expect(glyphOutline(0x4e00).advance).toBeGreaterThan(0);
  });

  it("draws capitals GLYPH_ASCENT × scale pixels tall, standing on the baseline", () => {
    const canvas = new Canvas(200, 80, WHITE);
    drawText(canvas, plain("HE", 3), 10, 50, BLACK);
    const [, minY, , maxY] = inkBox(canvas);
    // Rows 29–49 are the 21 rows of a 21-pixel capital sitting on row 50's top edge (antialiased edges may add one).
    expect(50 - minY).toBeGreaterThanOrEqual(GLYPH_ASCENT * 3);
    expect(50 - minY).toBeLessThanOrEqual(GLYPH_ASCENT * 3 + 1);
    expect(maxY).toBe(49);
    expect(fontPixelSize(3)).toBeCloseTo((GLYPH_ASCENT * 3) / (1493 / 2048), 9);
  });

  it("antialiases: curved and slanted edges get intermediate greys, stems are solid", () => {
    const canvas = new Canvas(200, 60, WHITE);
    drawText(canvas, plain("Sky 0°", 2), 5, 40, BLACK);
    const greys = ink(canvas);
    expect(greys.filter((v) => v === 0).length).toBeGreaterThan(50);
    expect(greys.filter((v) => v > 20 && v < 235).length).toBeGreaterThan(30);
  });

  it("rotated text reads bottom to top: the same ink, turned 90° anticlockwise", () => {
    const flat = new Canvas(100, 100, WHITE);
    const turned = new Canvas(100, 100, WHITE);
    drawText(flat, plain("Tp", 2), 20, 60, BLACK);
    drawText(turned, plain("Tp", 2), 60, 80, BLACK, true);
    const [fx0, fy0, fx1, fy1] = inkBox(flat);
    const [tx0, ty0, tx1, ty1] = inkBox(turned);
    // Rows are sampled 5 times per pixel, columns exactly: an edge pixel may come or go when turned.
    expect(Math.abs(tx1 - tx0 - (fy1 - fy0))).toBeLessThanOrEqual(1);
    expect(Math.abs(ty1 - ty0 - (fx1 - fx0))).toBeLessThanOrEqual(1);
    const darkness = (c: Canvas): number => ink(c).reduce((sum, v) => sum + 255 - v, 0);
    expect(darkness(turned) / darkness(flat)).toBeCloseTo(1, 1);
    // The label starts at (60, 80) and runs upwards from there.
    expect(ty1).toBe(79);
  });

  it("fills outlines by the non-zero rule with exact horizontal coverage", () => {
    const mask = new Mask(10, 4);
    const clip = { x0: 0, y0: 0, x1: 10, y1: 4 };
    // A square from x = 1.25 to 5.5 over rows 1–2, and a hole-free overlapping second square
    // wound the same way (non-zero keeps the overlap filled; even-odd would punch it out).
    fillContours(mask, [Float64Array.of(1.25, 1, 5.5, 1, 5.5, 3, 1.25, 3), Float64Array.of(3, 1, 7, 1, 7, 3, 3, 3)], clip);
    const row1 = Array.from(mask.values.subarray(10, 20), (v) => Math.round(v * 100) / 100);
    expect(row1).toEqual([0, 0.75, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(mask.values.subarray(0, 10)).every((v) => v === 0)).toBe(true);
    // A contour wound the other way inside the first cancels it: a hole.
    const holed = new Mask(10, 4);
    fillContours(holed, [Float64Array.of(0, 0, 8, 0, 8, 4, 0, 4), Float64Array.of(2, 1, 2, 3, 6, 3, 6, 1)], clip);
    expect(Array.from(holed.values.subarray(10, 20))).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 0, 0]);
  });
});
