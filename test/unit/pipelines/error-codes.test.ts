import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PIPELINE_ERROR_CODES } from "../../../pipelines/index.js";

/** Keeps the code catalogue, the code that uses it and docs/pipeline-errors.md in step. */
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const doc = readFileSync(join(root, "docs/pipeline-errors.md"), "utf8");
const sources = readdirSync(join(root, "pipelines"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ file: f, text: readFileSync(join(root, "pipelines", f), "utf8") }));

describe("pipeline error codes", () => {
  it.each(Object.keys(PIPELINE_ERROR_CODES))("%s is documented with a heading", (code) => {
    expect(doc).toContain(`## ${code}\n`);
  });

  it("every code the doc names exists", () => {
    const documented = new Set(doc.match(/SLIPWAY_E_PIPELINE_[A-Z_]+/g) ?? []);
    expect([...documented].filter((c) => !(c in PIPELINE_ERROR_CODES))).toEqual([]);
  });

  it("every code used in pipelines/*.ts is in PIPELINE_ERROR_CODES", () => {
    const used = new Set(sources.flatMap(({ text }) => text.match(/SLIPWAY_E_PIPELINE_[A-Z_]*[A-Z]/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((c) => !(c in PIPELINE_ERROR_CODES))).toEqual([]);
  });

  it("has one-line descriptions", () => {
    for (const description of Object.values(PIPELINE_ERROR_CODES)) {
      expect(description).not.toContain("\n");
      expect(description.length).toBeGreaterThan(10);
    }
  });
});
