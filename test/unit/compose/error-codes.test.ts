import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMPOSE_ERROR_CODES } from "../../../compose/index.js";

const doc = readFileSync(join(import.meta.dirname, "../../../docs/compose.md"), "utf8");

describe("compose error codes", () => {
  it("documents every code in docs/compose.md", () => {
    const missing = Object.keys(COMPOSE_ERROR_CODES).filter((code) => !doc.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it("documents no code that does not exist", () => {
    const documented = [...doc.matchAll(/\| `(SLIPWAY_E_COMPOSE_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(documented.filter((code) => !(code && code in COMPOSE_ERROR_CODES))).toEqual([]);
    expect(documented).toHaveLength(Object.keys(COMPOSE_ERROR_CODES).length);
  });
});
