import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { didYouMean } from "../pipelines/index.js";
import type { ConfigErrorCode, ConfigProblem } from "./errors.js";

/**
 * A small schema toolkit over the `yaml` node tree. It works on nodes rather than plain
 * values because every problem must point at the line and column of what is wrong, and it
 * collects problems instead of throwing so that one start-up reports all of them.
 */

/** A value with where it came from; `key` is its key node when it is a map value. */
export interface Slot {
  readonly node: Node | null;
  readonly path: string;
  readonly key?: Node;
}

export class Reader {
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  offsetPosition(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** An empty value (`key:`) has a zero-width range after the line break; point at its key. */
  position(slot: Slot, atKey = false): { line: number; column: number } {
    const range = slot.node?.range;
    if (atKey && slot.key?.range) return this.offsetPosition(slot.key.range[0]);
    if (range && range[1] > range[0]) return this.offsetPosition(range[0]);
    if (slot.key?.range) return this.offsetPosition(slot.key.range[0]);
    return range ? this.offsetPosition(range[0]) : { line: 1, column: 1 };
  }

  report(slot: Slot, code: ConfigErrorCode, message: string, atKey = false): undefined {
    this.problems.push({ file: this.file, ...this.position(slot, atKey), path: slot.path, code, message });
    return undefined;
  }

  typeError(slot: Slot, expected: string): undefined {
    return this.report(
      slot,
      "SLIPWAY_E_CONFIG_TYPE",
      `expected ${expected} for ${slot.path}, got ${describe(slot.node)}`,
    );
  }

  /** Follows `*alias` references so anchors work anywhere. */
  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  /** A map's entries by key; keys outside `allowed` are reported with a hint. */
  map(slot: Slot, allowed: readonly string[]): Map<string, Slot> | undefined {
    if (!isMap(slot.node)) return this.typeError(slot, "a map");
    const entries = new Map<string, Slot>();
    for (const pair of slot.node.items) {
      const key = this.resolve(pair.key);
      const name = isScalar(key) ? String(key.value) : "";
      const path = slot.path === "" ? name : `${slot.path}.${name}`;
      const entry: Slot = { node: this.resolve(pair.value), path, key: key ?? undefined };
      if (!allowed.includes(name)) {
        const where = slot.path === "" ? "the configuration root" : slot.path;
        this.report(
          entry,
          "SLIPWAY_E_CONFIG_UNKNOWN_KEY",
          `unknown key "${name}" in ${where}${didYouMean(name, allowed)}`,
          true,
        );
        continue;
      }
      // The YAML parser already reported a repeated key; the first one wins.
      if (!entries.has(name)) entries.set(name, entry);
    }
    return entries;
  }

  list(slot: Slot): Slot[] | undefined {
    if (!isSeq(slot.node)) return this.typeError(slot, "a list");
    return slot.node.items.map((item, i) => ({ node: this.resolve(item), path: `${slot.path}[${i}]` }));
  }

  /** A required entry, or a REQUIRED problem at the map itself. */
  require(entries: Map<string, Slot>, parent: Slot, key: string): Slot | undefined {
    const entry = entries.get(key);
    if (entry) return entry;
    const where = parent.path === "" ? "the configuration root" : parent.path;
    return this.report(parent, "SLIPWAY_E_CONFIG_REQUIRED", `missing required key "${key}" in ${where}`);
  }

  string(slot: Slot): string | undefined {
    if (isScalar(slot.node) && typeof slot.node.value === "string") return slot.node.value;
    return this.typeError(slot, "a string");
  }

  /** A non-null scalar's value (string, number or boolean). */
  scalar(slot: Slot, expected: string): string | number | boolean | undefined {
    const value = isScalar(slot.node) ? slot.node.value : undefined;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    return this.typeError(slot, expected);
  }
}

/** Human words for a node's type, for "expected X, got Y" messages. */
export function describe(node: Node | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return "nothing (null)";
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
