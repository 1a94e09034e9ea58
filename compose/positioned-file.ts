import type { Document } from "yaml";

/** A parsed compose file with positions, for `file:line:col` messages. */
export interface PositionedFile {
  /** Repository-relative path, as messages show it. */
  shown: string;
  abs: string;
  doc: Document;
  value: Record<string, unknown>;
  /** `file:line:col` of the key at `path` (or of its nearest existing ancestor). */
  at(path: (string | number)[]): string;
}
