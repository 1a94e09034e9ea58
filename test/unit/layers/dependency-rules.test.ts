import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

/**
 * Proves that the rules `npm run lint:deps` enforces do fail: the project's own
 * .dependency-cruiser.cjs is run on a tiny tree with one violation of each kind, and on the
 * allowed imports next to them, which must pass.
 */
const FILES: Record<string, string> = {
  "core/index.ts": "export const base = 1;\n",
  // Wrong way: the bottom layer importing the orchestration.
  "core/wrong.ts": 'import { run } from "../runner/index.js";\nexport const x = run;\n',
  "pipelines/index.ts": 'export { a } from "./a.js";\n',
  // A cycle of type-only imports still counts.
  "pipelines/a.ts": 'import type { B } from "./b.js";\nexport const a = 1;\nexport type A = B;\n',
  "pipelines/b.ts": 'import type { A } from "./a.js";\nexport type B = A | number;\n',
  "engine/index.ts": 'export { docker } from "./docker.js";\n',
  "engine/docker.ts": 'import { base } from "../core/index.js";\nexport const docker = base;\n',
  "runner/index.ts": 'import { docker } from "../engine/index.js";\nexport const run = docker;\n',
  // Another folder's internals instead of its index.ts.
  "runner/internal.ts": 'import { docker } from "../engine/docker.js";\nexport const y = docker;\n',
  // store/ must not depend on engine/.
  "store/index.ts": 'import { docker } from "../engine/index.js";\nexport const s = docker;\n',
  "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }),
};

type Violation = { rule: { name: string }; from: string; to: string };
let dir: string;
let violations: Violation[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-layers-"));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  copyFileSync(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  let out: string;
  try {
    out = execFileSync(
      join(ROOT, "node_modules/.bin/depcruise"),
      [
        "--config",
        ".dependency-cruiser.cjs",
        "--output-type",
        "json",
        "core",
        "pipelines",
        "engine",
        "runner",
        "store",
      ],
      { cwd: dir, encoding: "utf8" },
    );
  } catch (err) {
    // depcruise exits non-zero when there are violations; the JSON is on stdout all the same.
    out = (err as { stdout: string }).stdout;
  }
  violations = (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const found = (rule: string) => violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

describe("the layer rules of .dependency-cruiser.cjs", () => {
  it("refuse a wrong-way import", () => {
    expect(found("layer-core")).toEqual(["core/wrong.ts -> runner/index.ts"]);
    expect(found("layer-store")).toEqual(["store/index.ts -> engine/index.ts"]);
  });

  it("refuse a cycle, type-only imports included", () => {
    // depcruise reports a cycle once, at the first edge of it it meets.
    expect(found("no-circular")).toHaveLength(1);
    expect(found("no-circular")[0]).toMatch(/^pipelines\/[ab]\.ts -> pipelines\/[ab]\.ts$/);
  });

  it("refuse an import of another folder's internals", () => {
    expect(found("no-internals")).toEqual(["runner/internal.ts -> engine/docker.ts"]);
  });

  it("accept the allowed directions through index.ts", () => {
    const allowed = ["runner/index.ts -> engine/index.ts", "engine/docker.ts -> core/index.ts"];
    const all = violations.map((v) => `${v.from} -> ${v.to}`);
    for (const edge of allowed) expect(all).not.toContain(edge);
    expect(violations).toHaveLength(4);
  });
});
