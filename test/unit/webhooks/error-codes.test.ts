import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HOOK_ERROR_CODES } from "../../../webhooks/index.js";

/** Keeps HOOK_ERROR_CODES, the code that uses them and docs/webhooks.md in step. */
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const doc = readFileSync(join(root, "docs/webhooks.md"), "utf8");
const sources = readdirSync(join(root, "webhooks"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(join(root, "webhooks", f), "utf8"));

describe("webhook error codes", () => {
  it.each(Object.entries(HOOK_ERROR_CODES))("%s is documented with its status", (code, { status }) => {
    expect(doc).toContain(`## ${code}\n`);
    const section = doc.slice(doc.indexOf(`## ${code}\n`)).split("\n## ")[0] ?? "";
    expect(section).toContain(`HTTP ${status}`);
  });

  it("every code the doc names exists", () => {
    const named = new Set(doc.match(/SLIPWAY_E_HOOK_[A-Z_]*[A-Z]/g) ?? []);
    expect([...named].filter((c) => !(c in HOOK_ERROR_CODES))).toEqual([]);
  });

  it("every code used in webhooks is in the catalogue", () => {
    const used = new Set(sources.flatMap((text) => text.match(/SLIPWAY_E_HOOK_[A-Z_]*[A-Z]/g) ?? []));
    expect([...used].filter((c) => !(c in HOOK_ERROR_CODES))).toEqual([]);
    expect(used.size).toBe(Object.keys(HOOK_ERROR_CODES).length);
  });
});
