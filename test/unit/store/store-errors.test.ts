import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { STORE_ERROR_CODES } from "../../../store/index.js";

/** Keeps the store's code catalogue, the code that throws them and docs/store.md in step. */
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const doc = readFileSync(join(root, "docs/store.md"), "utf8");
const sources = readdirSync(join(root, "store"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(join(root, "store", f), "utf8"));

describe("store error codes", () => {
  it.each(Object.keys(STORE_ERROR_CODES))("%s is documented in docs/store.md", (code) => {
    expect(doc).toContain(`| \`${code}\` |`);
  });

  it("every code the doc or the source names exists", () => {
    const named = [doc, ...sources].flatMap((text) => text.match(/SLIPWAY_E_STORE_[A-Z_]*[A-Z]/g) ?? []);
    expect(named.length).toBeGreaterThan(10);
    expect([...new Set(named)].filter((c) => !(c in STORE_ERROR_CODES))).toEqual([]);
  });
});
