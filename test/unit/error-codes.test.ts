import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/fixture-repo.js";

const SOURCE_DIRS = ["engine", "builders", "compose", "pipelines", "runner", "deploy"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === "catalog" ? [] : sourceFiles(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

function docs(): string {
  return readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => readFileSync(join(ROOT, "docs", f), "utf8"))
    .join("\n");
}

describe("error code catalogue", () => {
  it("documents every SLIPWAY_E_ code the source uses", () => {
    const used = new Set<string>();
    for (const dir of SOURCE_DIRS) {
      for (const file of sourceFiles(join(ROOT, dir))) {
        for (const m of readFileSync(file, "utf8").matchAll(/SLIPWAY_E_[A-Z0-9_]*[A-Z0-9]/g)) used.add(m[0]);
      }
    }
    // Prefixes used to build codes (`SLIPWAY_E_PIPELINE_` + name) are not codes themselves.
    const documented = docs();
    const missing = [...used].filter((code) => !documented.includes(`\`${code}\``) && !documented.includes(code));
    expect(used.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
