import { describe, expect, it } from "vitest";
import { NodeState, Planner } from "../../src/scheduler/planner.js";
import { schedulerGraph } from "./fixture.js";

const graph = schedulerGraph();
const id = (n: number | undefined): string => (n === undefined ? "none" : graph.id(n));
const find = (nodeId: string): number => {
  const n = graph.find(nodeId);
  if (n === undefined) throw new Error(`no node ${nodeId}`);
  return n;
};

/** Takes every ready node, lowest first. */
function drain(planner: Planner): string[] {
  const out: string[] = [];
  for (let n = planner.next(); n !== undefined; n = planner.next()) out.push(id(n));
  return out;
}

describe("Planner", () => {
  it("offers the nodes with no pending dependency, lowest id first, and releases dependents as nodes finish", () => {
    const planner = new Planner(graph);
    expect(planner.unfinished).toBe(7);
    expect(drain(planner)).toEqual(["a[split=Train,sim=0]", "a[split=Train,sim=1]", "a[split=Train,sim=2]"]);
    planner.done(find("a[split=Train,sim=2]"));
    planner.done(find("a[split=Train,sim=0]"));
    expect(drain(planner)).toEqual(["b[split=Train,sim=0]", "b[split=Train,sim=2]"]);
    for (const n of ["b[split=Train,sim=0]", "b[split=Train,sim=2]"]) planner.done(find(n));
    // The reduction waits for every b.
    expect(planner.next()).toBeUndefined();
    planner.done(find("a[split=Train,sim=1]"));
    expect(drain(planner)).toEqual(["b[split=Train,sim=1]"]);
    planner.done(find("b[split=Train,sim=1]"));
    expect(drain(planner)).toEqual(["r"]);
    planner.done(find("r"));
    expect(planner.unfinished).toBe(0);
  });

  it("treats unselected nodes as done, so a selection runs on what is on disk", () => {
    const planner = new Planner(graph, new Set([find("b[split=Train,sim=1]"), find("r")]));
    expect(planner.unfinished).toBe(2);
    expect(drain(planner)).toEqual(["b[split=Train,sim=1]"]);
    planner.done(find("b[split=Train,sim=1]"));
    expect(drain(planner)).toEqual(["r"]);
  });

  it("skips everything that depends on a failed node, directly or not, and nothing else", () => {
    const planner = new Planner(graph);
    drain(planner);
    const blocked = planner.fail(find("a[split=Train,sim=1]"));
    expect(blocked.map((b) => [id(b.node), id(b.blockedBy)])).toEqual([
      ["b[split=Train,sim=1]", "a[split=Train,sim=1]"],
      ["r", "b[split=Train,sim=1]"],
    ]);
    expect(planner.state(find("r"))).toBe(NodeState.Skipped);
    planner.done(find("a[split=Train,sim=0]"));
    expect(drain(planner)).toEqual(["b[split=Train,sim=0]"]);
    planner.done(find("b[split=Train,sim=0]"));
    planner.done(find("a[split=Train,sim=2]"));
    expect(drain(planner)).toEqual(["b[split=Train,sim=2]"]);
    planner.done(find("b[split=Train,sim=2]"));
    expect(planner.next()).toBeUndefined();
    expect(planner.unfinished).toBe(0);
  });

  it("on stop skips every node not started and offers nothing more", () => {
    const planner = new Planner(graph);
    const first = planner.next();
    const skipped = planner.stop();
    expect(skipped.map(id)).toEqual(["a[split=Train,sim=1]", "a[split=Train,sim=2]", "b[split=Train,sim=0]", "b[split=Train,sim=1]", "b[split=Train,sim=2]", "r"]);
    expect(planner.next()).toBeUndefined();
    expect(planner.unfinished).toBe(1);
    planner.done(first ?? -1);
    expect(planner.unfinished).toBe(0);
  });

  it("holds only ready nodes in its heap: 100k pending nodes cost typed arrays, not tasks", () => {
    const planner = new Planner(graph);
    expect(planner.readyCount).toBe(3);
  });
});
