/**
 * Partitions: the coordinates of one node of a stage (split × sim × freq × epoch), and node ids.
 * A node id is stable, readable and parseable: `make_cmb[split=Train,sim=3]`,
 * `make_noise[split=Train,sim=3,freq=100]`, or just `ps_setup` for a stage with one node.
 */
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";

/** The partition dimensions, in the fixed order used in node ids. */
export type Dim = "split" | "sim" | "freq" | "epoch";

/** Every dimension, in node-id order. */
export const DIMS: readonly Dim[] = ["split", "sim", "freq", "epoch"];

/** A node's coordinates; a stage's node has exactly the stage's dimensions. */
export interface Partition {
  readonly split?: string;
  readonly sim?: number;
  readonly freq?: string;
  readonly epoch?: number;
}

/** True when `tag` names a partition dimension. */
export function isDim(tag: string): tag is Dim {
  return tag === "split" || tag === "sim" || tag === "freq" || tag === "epoch";
}

/** Formats a node id from its stage and partition. */
export function formatNodeId(stage: string, partition: Partition): string {
  const fields: string[] = [];
  for (const dim of DIMS) {
    const value = partition[dim];
    if (value !== undefined) fields.push(`${dim}=${String(value)}`);
  }
  return fields.length === 0 ? stage : `${stage}[${fields.join(",")}]`;
}

/** A parsed node id. */
export interface NodeRef {
  readonly stage: string;
  readonly partition: Partition;
}

const NODE_ID = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\[([^\]]*)\])?$/;

/** Parses a node id written by {@link formatNodeId}; the error says what is wrong with it. */
export function parseNodeId(id: string): Result<NodeRef, string> {
  const match = NODE_ID.exec(id.trim());
  if (match === null) return err(`"${id}" is not a node id (expected stage or stage[split=Train,sim=3])`);
  const stage = match[1] ?? "";
  const body = match[2];
  const partition: { split?: string; sim?: number; freq?: string; epoch?: number } = {};
  if (body !== undefined && body !== "") {
    for (const field of body.split(",")) {
      const eq = field.indexOf("=");
      const key = field.slice(0, eq).trim();
      const value = field.slice(eq + 1).trim();
      if (eq < 0 || !isDim(key)) return err(`"${field}" in node id "${id}" is not one of split=, sim=, freq=, epoch=`);
      if (partition[key] !== undefined) return err(`"${key}" appears twice in node id "${id}"`);
      if (key === "sim" || key === "epoch") {
        if (!/^\d+$/.test(value)) return err(`${key} must be a whole number in node id "${id}", got "${value}"`);
        partition[key] = Number(value);
      } else {
        partition[key] = value;
      }
    }
  }
  return ok({ stage, partition });
}
