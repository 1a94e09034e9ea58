import { createRequire } from "node:module";
import type * as YamlLib from "yaml";
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from "yaml";

// The yaml library is loaded on first use (about 20 ms): every CLI verb imports core/ for its
// errors, and a client verb (`slipway runs`) never parses YAML. Every other layer reaches
// yaml through the functions below, never by an import of its own: a static import would load
// it with that layer's module, and the bundled CLI (bin/bundle-cli.mjs) keeps it in a file of
// its own that only this require reads, so `--help` and the client verbs do not even parse it.
const requireLib = createRequire(import.meta.url);
let yamlLib: typeof YamlLib | undefined;
const yaml = (): typeof YamlLib => (yamlLib ??= requireLib("yaml") as typeof YamlLib);
/**
 * Loads the yaml library now rather than at the first parse: a caller about to wait on
 * something else (`slipway run` waits on its git checkout) spends that time loading it.
 */
export function preloadYaml(): void {
  yaml();
}
const isAlias = (node: unknown) => yaml().isAlias(node);
/** yaml's `isMap`, loading the library on first use. */
export function isMap<K = unknown, V = unknown>(node: unknown): node is YAMLMap<K, V> {
  return yaml().isMap(node);
}
/** yaml's `isScalar`, loading the library on first use. */
export function isScalar<T = unknown>(node: unknown): node is Scalar<T> {
  return yaml().isScalar(node);
}
/** yaml's `isSeq`, loading the library on first use. */
export function isSeq<T = unknown>(node: unknown): node is YAMLSeq<T> {
  return yaml().isSeq(node);
}
/** yaml's `parse` (plain values, no positions: for files Slipway wrote or compose printed). */
export function parseYaml(text: string): unknown {
  return yaml().parse(text);
}
/** yaml's `stringify`. */
export function stringifyYaml(value: unknown, options?: YamlLib.ToStringOptions): string {
  return yaml().stringify(value, options);
}

/**
 * The YAML half of Slipway's one schema toolkit, shared by every reader of a YAML file
 * (the pipeline in pipelines/, the runner's configuration in config/). Validation works on
 * the `yaml` node tree rather than on plain values because every problem must point at the
 * line and column of what is wrong; this module owns the parsing options, the offset →
 * position rules, alias resolution, the first-key-wins map walk and the "got X" wording,
 * so both files report the same things the same way. Each reader keeps its own vocabulary
 * (error codes, what the root is called) on top.
 */

/** 1-based. */
export interface Position {
  line: number;
  column: number;
}

/** What the YAML parser itself found, before any schema: a syntax error, a repeated key, a warning. */
export interface YamlIssue extends Position {
  kind: "syntax" | "duplicate-key" | "warning";
  /** The parser's first line, without its code excerpt. */
  message: string;
}

export class YamlSource {
  readonly doc: Document;
  /** In reading order; follow-on syntax errors on a line already reported are left out. */
  readonly issues: YamlIssue[] = [];
  /** After a real syntax error (not only a repeated key) the tree is a guess: don't validate it. */
  readonly broken: boolean;
  private readonly lines = new (yaml().LineCounter)();

  /** `compose: true` reads a compose file as compose does: `<<:` merge keys apply. */
  constructor(text: string, opts: { compose?: boolean } = {}) {
    this.doc = yaml().parseDocument(text, {
      lineCounter: this.lines,
      keepSourceTokens: true,
      prettyErrors: false,
      uniqueKeys: true,
      merge: opts.compose === true,
    });
    let broken = false;
    const syntaxLines = new Set<number>();
    for (const error of this.doc.errors) {
      const duplicate = error.code === "DUPLICATE_KEY";
      broken ||= !duplicate;
      const at = this.offsetPosition(error.pos[0]);
      // The parser often reports follow-on errors on the same line; the first one is the cause.
      if (!duplicate && syntaxLines.has(at.line)) continue;
      if (!duplicate) syntaxLines.add(at.line);
      const message = duplicate
        ? "duplicate key: a key may appear only once in a map"
        : (error.message.split("\n")[0] ?? "invalid YAML");
      this.issues.push({ kind: duplicate ? "duplicate-key" : "syntax", ...at, message });
    }
    for (const warning of this.doc.warnings) {
      this.issues.push({
        kind: "warning",
        ...this.offsetPosition(warning.pos[0]),
        message: warning.message.split("\n")[0] ?? "",
      });
    }
    this.broken = broken;
  }

  offsetPosition(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where a node starts. An empty value (`key:` with nothing after it) has a zero-width range
   * that the yaml library places after the line break, so it is reported at `fallback` (its
   * key) instead.
   */
  position(node: Node | null | undefined, fallback?: Node | null): Position {
    const range = node?.range;
    if (range && range[1] > range[0]) return this.offsetPosition(range[0]);
    if (fallback?.range) return this.offsetPosition(fallback.range[0]);
    if (range) return this.offsetPosition(range[0]);
    return { line: 1, column: 1 };
  }

  /** Follows `*alias` references so anchors can be reused anywhere a value is expected. */
  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  /** The first error (a syntax error or a repeated key), for a reader that stops at the first. */
  get firstError(): YamlIssue | undefined {
    return this.issues.find((issue) => issue.kind !== "warning");
  }

  /** The document's top node, aliases followed; null for an empty file. */
  get root(): Node | null {
    return this.resolve(this.doc.contents);
  }

  /**
   * A map's entries in order, keys and values resolved. A repeated key was already reported
   * by the parser (`duplicate-key`), so only its first occurrence is kept. `key` is undefined
   * for a key that is not a plain scalar (`? [a, b]: x`); the caller decides how to report it.
   */
  entries(map: Node | null): { key: string | undefined; keyNode: Node | null; value: Node | null }[] {
    if (!isMap(map)) return [];
    const seen = new Set<string>();
    const out: { key: string | undefined; keyNode: Node | null; value: Node | null }[] = [];
    for (const pair of map.items) {
      const keyNode = this.resolve(pair.key);
      const plain = isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== "object";
      const key = plain ? String(keyNode.value) : undefined;
      if (key !== undefined && seen.has(key)) continue;
      if (key !== undefined) seen.add(key);
      out.push({ key, keyNode, value: this.resolve(pair.value) });
    }
    return out;
  }
}

/**
 * What a schema reader of one YAML file holds: its name, its source and the problems found
 * so far (collected, not thrown, so one pass reports all of them). The pipeline's Checker and
 * the configuration's Reader extend it with their own problem type and vocabulary.
 */
export class YamlFileCheck<P> {
  readonly problems: P[] = [];

  constructor(
    readonly file: string,
    readonly source: YamlSource,
  ) {}

  position(node: Node | null | undefined, fallback?: Node | null): Position {
    return this.source.position(node, fallback);
  }

  resolve(node: unknown): Node | null {
    return this.source.resolve(node);
  }
}

/** Whether a node is absent or an explicit null (`key:`, `key: ~`). */
export function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** Human words for a node's type, for "expected X, got Y" messages. */
export function describeNode(node: Node | null): string {
  if (isNullNode(node)) return "nothing (null)";
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === "string") return `a string ("${v.length > 40 ? `${v.slice(0, 37)}...` : v}")`;
    if (typeof v === "number" || typeof v === "bigint") return `a number (${String(v)})`;
    if (typeof v === "boolean") return `a boolean (${String(v)})`;
  }
  return "an unsupported value";
}

/** `stages[0].env` + `A_B` → `stages[0].env.A_B`; a key that is not a plain word is quoted. */
export function joinPath(parent: string, key: string): string {
  const segment = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return parent === "" ? segment : `${parent}.${segment}`;
}
