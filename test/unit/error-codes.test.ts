import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/fixture-repo.js";

/** Every top folder holding product code; `test/`, `bench/` and fixtures are not sources. */
const SOURCE_DIRS = [
  "core",
  "pipelines",
  "engine",
  "builders",
  "compose",
  "deploy",
  "store",
  "config",
  "webhooks",
  "secrets",
  "runner",
];
/** A whole code: `SLIPWAY_E_` then words, never ending in `_` (`"SLIPWAY_E_" + name` is a prefix, not a code). */
const CODE = /\bSLIPWAY_E_[A-Z0-9_]*[A-Z0-9]\b/g;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === "catalog" || name === "node_modules" ? [] : sourceFiles(full);
    return /\.(ts|tsx)$/.test(full) ? [full] : [];
  });
}

function codesIn(text: string): Set<string> {
  return new Set(text.match(CODE) ?? []);
}

/** docs/errors.md and every page it links to: together, the catalogue. */
function catalogue(): { pages: string[]; text: string } {
  const index = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
  const linked = [...index.matchAll(/\]\(([a-z0-9-]+\.md)\)/g)].map((m) => m[1] as string);
  // A link to a page not written yet names no codes; the pages that exist are the catalogue.
  const pages = ["errors.md", ...new Set(linked)].filter((p) => existsSync(join(ROOT, "docs", p)));
  return { pages, text: pages.map((p) => readFileSync(join(ROOT, "docs", p), "utf8")).join("\n") };
}

const used = new Set(
  SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap((f) => [...codesIn(readFileSync(f, "utf8"))]),
);
const { pages, text } = catalogue();
const documented = codesIn(text);

describe("error code catalogue (docs/errors.md and the pages it links)", () => {
  it("links the per-area pages", () => {
    expect(pages).toEqual(
      expect.arrayContaining(["pipeline-errors.md", "compose.md", "config.md", "webhooks.md", "store.md", "api.md"]),
    );
  });

  it("documents every code the source uses", () => {
    expect(used.size).toBeGreaterThan(60);
    expect([...used].filter((code) => !documented.has(code)).sort()).toEqual([]);
  });

  it("documents no code the source does not use", () => {
    expect([...documented].filter((code) => !used.has(code)).sort()).toEqual([]);
  });

  it("matches whole codes, not prefixes or substrings", () => {
    expect(
      [..."x SLIPWAY_E_API_BAD_QUERY, `SLIPWAY_E_PIPELINE_` + y SLIPWAY_E_APIX".matchAll(CODE)].map((m) => m[0]),
    ).toEqual(["SLIPWAY_E_API_BAD_QUERY", "SLIPWAY_E_APIX"]);
    // A code documented only as a longer name's prefix is not documented.
    expect(codesIn("`SLIPWAY_E_API_BAD_QUERY`").has("SLIPWAY_E_API")).toBe(false);
  });
});
