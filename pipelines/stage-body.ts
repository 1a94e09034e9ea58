import type { Slot } from "./schema.js";
import type { Stage } from "./types.js";

/*
 * Types shared by the stage readers (stages.ts and the per-kind readers such as
 * compose-stage.ts). They live apart so a kind's reader imports them without importing the
 * dispatcher that imports it: no cycle.
 */

/** A name used by a stage that must be defined elsewhere; checked once the whole file is read. */
export interface Reference {
  kind: "builder" | "environment";
  name: string;
  slot: Slot;
}

/** Omit over each member of a union, so the result stays a union of stage bodies. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What a kind's reader returns: the stage without the keys every stage has. */
export type StageBody = DistributiveOmit<Stage, "name" | "when" | "timeoutSeconds" | "env">;
