import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONFIG_ERROR_CODES, ENV_OVERRIDES, ROOT_KEYS } from "../../../config/index.js";

/** Keeps CONFIG_ERROR_CODES, the code that uses them and docs/config.md in step. */
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const doc = readFileSync(join(root, "docs/config.md"), "utf8");
const sources = readdirSync(join(root, "config"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(join(root, "config", f), "utf8"));

describe("config error codes", () => {
  it.each(Object.keys(CONFIG_ERROR_CODES))("%s is documented with a heading", (code) => {
    expect(doc).toContain(`## ${code}\n`);
  });

  it("every code the doc names exists", () => {
    const named = new Set(doc.match(/SLIPWAY_E_CONFIG_[A-Z_]*[A-Z]/g) ?? []);
    expect([...named].filter((c) => !(c in CONFIG_ERROR_CODES))).toEqual([]);
  });

  it("every code used in config is in the catalogue, and every catalogued code is used", () => {
    const used = new Set(sources.flatMap((text) => text.match(/SLIPWAY_E_CONFIG_[A-Z_]*[A-Z]/g) ?? []));
    expect([...used].filter((c) => !(c in CONFIG_ERROR_CODES))).toEqual([]);
    expect(used.size).toBe(Object.keys(CONFIG_ERROR_CODES).length);
  });

  it("has one-line descriptions", () => {
    for (const description of Object.values(CONFIG_ERROR_CODES)) expect(description).not.toContain("\n");
  });
});

describe("config reference", () => {
  it.each([...ROOT_KEYS])("documents the key %s", (key) => {
    expect(doc).toContain(`\`${key}\``);
  });

  it.each(Object.keys(ENV_OVERRIDES))("documents the variable %s", (name) => {
    expect(doc).toContain(`\`${name}\``);
  });
});
