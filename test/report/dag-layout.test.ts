import { describe, expect, it } from "vitest";
import { BOX, layoutDag } from "../../src/report/dag-layout.js";

describe("layoutDag", () => {
  it("puts each stage one layer below its deepest input, boxes apart, inside the drawing", () => {
    const order = ["setup", "cmb", "noise", "obs", "stats", "spectra", "summary"];
    const edges = [
      { from: "setup", to: "cmb" },
      { from: "cmb", to: "obs" },
      { from: "noise", to: "obs" },
      { from: "obs", to: "stats" },
      { from: "obs", to: "spectra" },
      { from: "spectra", to: "summary" },
      { from: "setup", to: "summary" },
    ];
    const layout = layoutDag(order, edges);
    const y = (name: string): number => layout.stages.get(name)?.y ?? Number.NaN;
    const row = BOX.height + BOX.gapY;
    expect([y("setup"), y("noise"), y("cmb"), y("obs"), y("stats"), y("spectra"), y("summary")]).toEqual([0, 0, 1, 2, 3, 3, 4].map((k) => BOX.margin + k * row));
    const boxes = [...layout.stages.values()];
    for (const a of boxes) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.x + BOX.width).toBeLessThanOrEqual(layout.width);
      expect(a.y + BOX.height).toBeLessThanOrEqual(layout.height);
      for (const b of boxes) if (a !== b && a.y === b.y) expect(Math.abs(a.x - b.x)).toBeGreaterThanOrEqual(BOX.width + BOX.gapX);
    }
  });

  it("routes an edge that spans layers beside the boxes of the layers it crosses", () => {
    const order = ["setup", "cmb", "obs", "spectra", "summary"];
    const edges = [
      { from: "setup", to: "cmb" },
      { from: "cmb", to: "obs" },
      { from: "obs", to: "spectra" },
      { from: "spectra", to: "summary" },
      { from: "setup", to: "summary" },
    ];
    const layout = layoutDag(order, edges);
    expect(layout.waypoints.slice(0, 4)).toEqual([[], [], [], []]);
    const route = layout.waypoints[4] ?? [];
    expect(route).toHaveLength(3);
    for (const [i, w] of route.entries()) {
      const box = layout.stages.get(order[i + 1] ?? "");
      expect(w.top).toBe(box?.y);
      expect(w.bottom).toBe((box?.y ?? 0) + BOX.height);
      // Clear of the box, by at least the gap between slots.
      const left = box?.x ?? 0;
      expect(w.x < left - BOX.gapX || w.x > left + BOX.width + BOX.gapX).toBe(true);
      expect(w.x).toBeGreaterThan(0);
      expect(w.x).toBeLessThan(layout.width);
    }
  });

  it("draws the same pipeline the same way every time", () => {
    const edges = [{ from: "a", to: "c" }, { from: "b", to: "c" }];
    expect([...layoutDag(["a", "b", "c"], edges).stages.values()]).toEqual([...layoutDag(["a", "b", "c"], edges).stages.values()]);
  });
});
