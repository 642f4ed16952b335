/**
 * The yaml library, loaded on first use through require instead of imported at module level.
 * Every worker thread imports the modules that use it (through cmbflow's entry, which a stage
 * imports) but a worker rarely parses or writes YAML; loading the library took about 0.06 s per
 * thread here. The functions below have the library's signatures and load it on their first call.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Alias, Document, DocumentOptions, LineCounter, Pair, ParseOptions, Scalar, SchemaOptions, ToStringOptions, YAMLMap, YAMLSeq, CreateNodeOptions } from "yaml";

let lib: typeof Yaml | undefined;

function yaml(): typeof Yaml {
  lib ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return lib;
}

export const isAlias = (node: unknown): node is Alias => yaml().isAlias(node);
export const isScalar = (node: unknown): node is Scalar => yaml().isScalar(node);
export const isMap = (node: unknown): node is YAMLMap => yaml().isMap(node);
export const isSeq = (node: unknown): node is YAMLSeq => yaml().isSeq(node);
export const isPair = (node: unknown): node is Pair => yaml().isPair(node);
export const isCollection = (node: unknown): node is YAMLMap | YAMLSeq => yaml().isCollection(node);

export function parseDocument(source: string, options?: ParseOptions & DocumentOptions & SchemaOptions): Document.Parsed {
  return yaml().parseDocument(source, options);
}

export function parse(source: string): unknown {
  return yaml().parse(source) as unknown;
}

export function stringify(value: unknown, options?: DocumentOptions & SchemaOptions & ParseOptions & CreateNodeOptions & ToStringOptions): string {
  return yaml().stringify(value, options);
}

export function newLineCounter(): LineCounter {
  return new (yaml().LineCounter)();
}

export function newDocument(value: unknown, options?: DocumentOptions & SchemaOptions & ParseOptions & CreateNodeOptions): Document {
  return new (yaml().Document)(value, options);
}
