import type { Node } from "yaml";
import {
  describeNode,
  isMap,
  isScalar,
  isSeq,
  joinPath,
  type Position,
  parseDuration,
  YamlFileCheck,
} from "../core/index.js";
import { didYouMean, makeProblem, type PipelineErrorCode } from "./problems.js";
import type { Problem, Severity } from "./types.js";

/**
 * The pipeline's vocabulary over core's YAML toolkit (`core/yaml-source.ts`, shared with the
 * configuration reader): slots, map views and typed reads that report SLIPWAY_E_PIPELINE_*
 * problems at the line and column of the offending node.
 */

/** A value together with where it came from: its path and (for map values) its key node. */
export interface Slot {
  value: Node | null;
  path: string;
  keyNode?: Node;
}

export type { Position };

/** Collects SLIPWAY_E_PIPELINE_* problems for one file (positions and aliases: YamlFileCheck). */
export class Checker extends YamlFileCheck<Problem> {
  slotPosition(slot: Slot): Position {
    return this.position(slot.value, slot.keyNode);
  }

  report(at: Position, path: string, code: PipelineErrorCode, message: string, severity: Severity = "error"): void {
    this.problems.push(makeProblem({ file: this.file, ...at, path, code, message, severity }));
  }
}

export { joinPath };

/** A YAML mapping seen through the schema: first occurrence of each key, with positions. */
export class MapView {
  readonly entries = new Map<string, Slot & { keyNode: Node }>();

  constructor(
    readonly checker: Checker,
    readonly node: Node,
    readonly path: string,
    /** Where to point when `node` is an empty value with no width of its own. */
    private readonly fallback?: Node,
  ) {
    for (const { key, keyNode, value } of checker.source.entries(node)) {
      if (key === undefined || keyNode === null) {
        const at = checker.position(keyNode, node);
        checker.report(
          at,
          path,
          "SLIPWAY_E_PIPELINE_TYPE",
          `expected a plain key in ${path || "the root"}, got ${describeNode(keyNode)}`,
        );
        continue;
      }
      this.entries.set(key, { value, path: joinPath(path, key), keyNode });
    }
  }

  get position(): Position {
    return this.checker.position(this.node, this.fallback);
  }

  get(key: string): (Slot & { keyNode: Node }) | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Reports every key outside `allowed`, hinting at the closest allowed key. */
  allowOnly(allowed: readonly string[], hintFrom: readonly string[] = allowed): void {
    for (const [key, slot] of this.entries) {
      if (allowed.includes(key)) continue;
      const where = this.path === "" ? "the pipeline root" : this.path;
      this.checker.report(
        this.checker.position(slot.keyNode),
        slot.path,
        "SLIPWAY_E_PIPELINE_UNKNOWN_KEY",
        `unknown key "${key}" in ${where}${didYouMean(key, hintFrom)}`,
      );
    }
  }

  /** The entry for a required key, or a REQUIRED problem at this map's position. */
  require(key: string, why = ""): (Slot & { keyNode: Node }) | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) {
      const where = this.path === "" ? "the pipeline root" : this.path;
      this.checker.report(
        this.position,
        joinPath(this.path, key),
        "SLIPWAY_E_PIPELINE_REQUIRED",
        `missing required key "${key}" in ${where}${why}`,
      );
    }
    return slot;
  }
}

export function typeError(c: Checker, slot: Slot, expected: string): undefined {
  c.report(
    c.slotPosition(slot),
    slot.path,
    "SLIPWAY_E_PIPELINE_TYPE",
    `expected ${expected} for ${slot.path}, got ${describeNode(slot.value)}`,
  );
  return undefined;
}

export function readMap(c: Checker, slot: Slot, opts: { nullIsEmpty?: boolean } = {}): MapView | undefined {
  if (isMap(slot.value)) return new MapView(c, slot.value, slot.path);
  if (opts.nullIsEmpty && (slot.value === null || (isScalar(slot.value) && slot.value.value === null))) {
    return new MapView(c, slot.value ?? (slot.keyNode as Node), slot.path, slot.keyNode);
  }
  return typeError(c, slot, "a map");
}

export function readList(c: Checker, slot: Slot): Slot[] | undefined {
  if (!isSeq(slot.value)) return typeError(c, slot, "a list");
  return slot.value.items.map((item, i) => ({ value: c.resolve(item), path: `${slot.path}[${i}]` }));
}

/**
 * A string. With `coerce`, numbers and booleans are accepted and kept as written
 * (`version: 1.20` stays "1.20", not "1.2"), because values like versions and environment
 * variables are naturally unquoted.
 */
export function readString(
  c: Checker,
  slot: Slot,
  opts: { coerce?: boolean; nonEmpty?: boolean } = {},
): string | undefined {
  const node = slot.value;
  let text: string | undefined;
  if (isScalar(node) && typeof node.value === "string") text = node.value;
  else if (opts.coerce && isScalar(node) && node.value !== null && typeof node.value !== "object") {
    text = typeof node.source === "string" && node.source !== "" ? node.source : String(node.value);
  }
  if (text === undefined) return typeError(c, slot, "a string");
  if (opts.nonEmpty && text.trim() === "") {
    c.report(c.slotPosition(slot), slot.path, "SLIPWAY_E_PIPELINE_BAD_VALUE", `${slot.path} must not be empty`);
    return undefined;
  }
  return text;
}

/**
 * A string, or a list of strings, with each item's slot so later checks (paths, templates)
 * can point at the exact item. A single string becomes a one-element list.
 */
export function readStringItems(c: Checker, slot: Slot): { text: string; slot: Slot }[] | undefined {
  if (isScalar(slot.value) && typeof slot.value.value === "string") return [{ text: slot.value.value, slot }];
  if (!isSeq(slot.value)) return typeError(c, slot, "a string or a list of strings");
  const out: { text: string; slot: Slot }[] = [];
  let ok = true;
  for (const item of readList(c, slot) ?? []) {
    const text = readString(c, item);
    if (text === undefined) ok = false;
    else out.push({ text, slot: item });
  }
  return ok ? out : undefined;
}

export function readStringList(c: Checker, slot: Slot): string[] | undefined {
  return readStringItems(c, slot)?.map((item) => item.text);
}

export function readInt(c: Checker, slot: Slot, min: number): number | undefined {
  const node = slot.value;
  if (!isScalar(node) || typeof node.value !== "number") return typeError(c, slot, "an integer");
  if (!Number.isInteger(node.value) || node.value < min) {
    c.report(
      c.slotPosition(slot),
      slot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `${slot.path} must be an integer >= ${min}, got ${node.value}`,
    );
    return undefined;
  }
  return node.value;
}

export function readEnum<T extends string>(c: Checker, slot: Slot, allowed: readonly T[]): T | undefined {
  const text = readString(c, slot);
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  const list = allowed.map((a) => `"${a}"`).join(", ");
  c.report(
    c.slotPosition(slot),
    slot.path,
    "SLIPWAY_E_PIPELINE_BAD_VALUE",
    `${slot.path} must be one of ${list}, got "${text}"${didYouMean(text, allowed)}`,
  );
  return undefined;
}

export function readDuration(c: Checker, slot: Slot): number | undefined {
  const node = slot.value;
  if (!isScalar(node) || (typeof node.value !== "number" && typeof node.value !== "string")) {
    return typeError(c, slot, 'a duration (seconds, or a string like "90s")');
  }
  const result = parseDuration(node.value);
  if (result.ok) return result.seconds;
  const shown = typeof node.value === "string" ? `"${node.value}"` : String(node.value);
  c.report(
    c.slotPosition(slot),
    slot.path,
    "SLIPWAY_E_PIPELINE_BAD_DURATION",
    `bad duration ${shown} for ${slot.path}: ${result.reason}; use seconds or a string like "90s", "5m", "1h", "1m30s"`,
  );
  return undefined;
}

/** A map of names to scalars, stringified as written (`env:`, `build_args:`). */
export function readStringMap(c: Checker, slot: Slot, keyPattern?: RegExp): Record<string, string> | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of map.entries) {
    if (keyPattern && !keyPattern.test(key)) {
      c.report(
        c.position(entry.keyNode),
        entry.path,
        "SLIPWAY_E_PIPELINE_BAD_VALUE",
        `"${key}" is not a valid name in ${slot.path}`,
      );
      continue;
    }
    const v = entry.value;
    // `KEY:` with no value is an empty string, as in a shell `KEY=`.
    if (v === null || (isScalar(v) && v.value === null)) out[key] = "";
    else {
      const text = readString(c, entry, { coerce: true });
      if (text !== undefined) out[key] = text;
    }
  }
  return out;
}
