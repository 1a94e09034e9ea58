import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

/**
 * Issue 8's "one of each": the shared machinery lives in one module and the well-kept
 * libraries are reached through one adapter each, so a second copy cannot drift on its own.
 * This reads the product's sources (not tests, benches or the browser UI) as text and fails
 * when a copy or a second adapter appears, naming the file.
 */
// The product's top folders are the ones `npm run lint:deps` checks, less the browser UI.
const lintDeps = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
  .scripts["lint:deps"];
const PRODUCT = (lintDeps ?? "")
  .split(/\s+/)
  .filter((word) => /^[a-z][a-z-]*$/.test(word) && word !== "depcruise" && word !== "dashboard");

function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        out.push({ file: relative(ROOT, path), text: readFileSync(path, "utf8") });
      }
    }
  };
  for (const top of PRODUCT) walk(join(ROOT, top));
  return out;
}

const files = sources();
const where = (pattern: RegExp) => files.filter((f) => pattern.test(f.text)).map((f) => f.file);

describe("one of each (issue 8)", () => {
  it.each([
    ["deepFreeze", /function deepFreeze\b/, ["core/freeze.ts"]],
    ["the sh single-quote escape", /'\\\\''/, ["core/shell.ts"]],
    [
      "the store-URL grammar",
      /function readStoreUrl\b|["'`]sqlite:["'`]\)|protocol === ["']postgres/,
      ["core/store-url.ts"],
    ],
    ["YAML offset → line/column", /\.linePos\(|new LineCounter\(/, ["core/yaml-source.ts"]],
    ["'got X' wording of YAML nodes", /function describe(Node)?\(node/, ["core/yaml-source.ts"]],
    ["picomatch", /from "picomatch"/, ["core/glob.ts"]],
    ["fast-xml-parser", /from "fast-xml-parser"/, ["compose/junit.ts"]],
    ["prom-client", /from "prom-client"/, ["runner/serve/metrics.ts"]],
    // Loaded in one place (after its deferred transports), its client made in one place.
    [
      "dockerode's loading",
      /^import Docker from "dockerode"|require\("dockerode"\)|requireWithLazyBuiltins<[^>]*>\("dockerode"/m,
      ["engine/deferred-transports.ts"],
    ],
    ["a dockerode client", /new Docker(ode)?\(|new \(loadDockerode\(\)\)/, ["engine/docker-engine.ts"]],
  ])("%s lives in one place", (_what, pattern, expected) => {
    expect(where(pattern).sort()).toEqual(expected);
  });

  it("the scan sees the product's files (a wrong root would pass everything above)", () => {
    expect(PRODUCT).toEqual(expect.arrayContaining(["core", "pipelines", "config", "runner", "compose", "engine"]));
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.file === "core/index.ts")).toBe(true);
  });
});
