import type { Node } from "yaml";
import { describeNode, isMap, isScalar, isSeq, joinPath, type Position, YamlFileCheck } from "../core/index.js";
import { didYouMean } from "../pipelines/index.js";
import type { ConfigErrorCode, ConfigProblem } from "./errors.js";

/**
 * The configuration's vocabulary over core's YAML toolkit (`core/yaml-source.ts`, shared with
 * the pipeline validator): slots and typed reads that report SLIPWAY_E_CONFIG_* problems at
 * the line and column of what is wrong, collected rather than thrown so that one start-up
 * reports all of them.
 */

/** A value with where it came from; `key` is its key node when it is a map value. */
export interface Slot {
  readonly node: Node | null;
  readonly path: string;
  readonly key?: Node;
}

/** Collects SLIPWAY_E_CONFIG_* problems for one file (positions and aliases: YamlFileCheck). */
export class Reader extends YamlFileCheck<ConfigProblem> {
  /** At the value, or at its key when asked or when the value is empty (`key:`). */
  slotPosition(slot: Slot, atKey = false): Position {
    return atKey && slot.key ? this.position(slot.key) : this.position(slot.node, slot.key);
  }

  report(slot: Slot, code: ConfigErrorCode, message: string, atKey = false): undefined {
    this.problems.push({ file: this.file, ...this.slotPosition(slot, atKey), path: slot.path, code, message });
    return undefined;
  }

  typeError(slot: Slot, expected: string): undefined {
    return this.report(
      slot,
      "SLIPWAY_E_CONFIG_TYPE",
      `expected ${expected} for ${slot.path}, got ${describeNode(slot.node)}`,
    );
  }

  /** A map's entries by key; keys outside `allowed` are reported with a hint. */
  map(slot: Slot, allowed: readonly string[]): Map<string, Slot> | undefined {
    if (!isMap(slot.node)) return this.typeError(slot, "a map");
    const entries = new Map<string, Slot>();
    for (const { key, keyNode, value } of this.source.entries(slot.node)) {
      // A key that is not a plain scalar is unknown by definition; it is reported as `""`.
      const name = key ?? "";
      const entry: Slot = { node: value, path: joinPath(slot.path, name), key: keyNode ?? undefined };
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
