/**
 * The ready-set planner: which nodes can run next. It knows the node graph and what has
 * happened to each node, nothing about how nodes run; the scheduler asks it for work and
 * tells it outcomes.
 *
 * A node is ready when every selected dependency is done (ran, fresh or restored). Nodes
 * outside the selection count as done already: `--only make_obs` runs on whatever the
 * upstream stages left on disk. Ready nodes come out lowest index first, and indices run
 * stage by stage in topological order and by id within a stage, so ties break by id and a
 * run's order is the same every time.
 */
import type { NodeGraph } from "../graph/node-graph.js";

/** What happened to a node. */
export const NodeState = {
  Pending: 0,
  Ready: 1,
  Running: 2,
  Done: 3,
  Failed: 4,
  /** Not run: a dependency failed, or the run stopped first. */
  Skipped: 5,
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

/** The ready set over one node graph and selection. */
export class Planner {
  readonly #graph: NodeGraph;
  readonly #state: Uint8Array;
  /** Per node, its selected dependencies not done yet. */
  readonly #waiting: Uint32Array;
  readonly #heap: MinHeap;
  #unfinished = 0;

  /**
   * @param selected the nodes to run; undefined for all
   */
  constructor(graph: NodeGraph, selected?: ReadonlySet<number>) {
    this.#graph = graph;
    this.#state = new Uint8Array(graph.size).fill(NodeState.Done);
    this.#waiting = new Uint32Array(graph.size);
    this.#heap = new MinHeap();
    const isSelected = (n: number): boolean => selected === undefined || selected.has(n);
    for (let n = 0; n < graph.size; n++) {
      if (!isSelected(n)) continue;
      this.#state[n] = NodeState.Pending;
      this.#unfinished++;
    }
    for (let n = 0; n < graph.size; n++) {
      if (this.#state[n] === NodeState.Done) continue;
      let waiting = 0;
      for (let k = graph.depStart[n] ?? 0; k < (graph.depStart[n + 1] ?? 0); k++) {
        // Selected dependencies are pending or (already, earlier in this loop) ready.
        if (this.#state[graph.deps[k] ?? 0] !== NodeState.Done) waiting++;
      }
      this.#waiting[n] = waiting;
      if (waiting === 0) this.#makeReady(n);
    }
  }

  /** Selected nodes not yet done, failed or skipped. */
  get unfinished(): number {
    return this.#unfinished;
  }

  /** Nodes ready to start now. */
  get readyCount(): number {
    return this.#heap.size;
  }

  state(node: number): NodeState {
    return (this.#state[node] ?? NodeState.Done) as NodeState;
  }

  /** The lowest-index ready node, now marked running; undefined when none is ready. */
  next(): number | undefined {
    const n = this.#heap.pop();
    if (n !== undefined) this.#state[n] = NodeState.Running;
    return n;
  }

  /** A running node finished well (ran, fresh or restored): its dependents may become ready. */
  done(node: number): void {
    this.#finish(node, NodeState.Done);
    for (const d of this.#graph.dependents(node)) {
      if (this.#state[d] !== NodeState.Pending) continue;
      const left = (this.#waiting[d] ?? 1) - 1;
      this.#waiting[d] = left;
      if (left === 0) this.#makeReady(d);
    }
  }

  /**
   * A running node failed: every selected node that depends on it, directly or not, is
   * skipped. Returns those nodes, each with the dependency that blocked it, in index order.
   */
  fail(node: number): { node: number; blockedBy: number }[] {
    this.#finish(node, NodeState.Failed);
    const blocked: { node: number; blockedBy: number }[] = [];
    const stack = [node];
    while (stack.length > 0) {
      const from = stack.pop() ?? 0;
      for (const d of this.#graph.dependents(from)) {
        // A ready node has every dependency done, so only pending nodes can be blocked.
        if (this.#state[d] !== NodeState.Pending) continue;
        this.#finish(d, NodeState.Skipped);
        blocked.push({ node: d, blockedBy: from });
        stack.push(d);
      }
    }
    return blocked.sort((a, b) => a.node - b.node);
  }

  /** Stops the run: every node not started is skipped. Returns them in index order. */
  stop(): number[] {
    const skipped: number[] = [];
    for (let n = 0; n < this.#graph.size; n++) {
      const s = this.#state[n];
      if (s !== NodeState.Pending && s !== NodeState.Ready) continue;
      this.#finish(n, NodeState.Skipped);
      skipped.push(n);
    }
    this.#heap.clear();
    return skipped;
  }

  /** A node taken with {@link next} that will not run after all (the run stopped before it started). */
  abandon(node: number): void {
    if (this.#state[node] === NodeState.Running) this.#finish(node, NodeState.Skipped);
  }

  #makeReady(n: number): void {
    this.#state[n] = NodeState.Ready;
    this.#heap.push(n);
  }

  #finish(n: number, state: NodeState): void {
    this.#state[n] = state;
    this.#unfinished--;
  }
}

/** A binary min-heap of node indices. */
class MinHeap {
  #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(value: number): void {
    const items = this.#items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] ?? 0) <= value) break;
      items[i] = items[parent] ?? 0;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const child = r < items.length && (items[r] ?? 0) < (items[l] ?? 0) ? r : l;
      if ((items[child] ?? 0) >= last) break;
      items[i] = items[child] ?? 0;
      i = child;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.#items = [];
  }
}
