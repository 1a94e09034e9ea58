import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatProblem, loadPipelineFile, PIPELINE_ERROR_CODES } from "../../../pipelines/index.js";

/**
 * Every file in test/fixtures/pipelines/broken/ with the exact problems it must produce.
 * Positions in expected.json were checked by hand against the fixture text.
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines/broken");

interface Expected {
  file: string;
  problems: { code: string; line: number; column: number; path: string }[];
}

const expected: Expected[] = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));

describe("broken pipeline fixtures", () => {
  it("has an expectation for every fixture and at least 30 fixtures", () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yml"))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(expected.map((e) => e.file).sort()).toEqual(files);
  });

  it.each(expected)("$file", async ({ file, problems }) => {
    const result = await loadPipelineFile(join(dir, file));
    expect(result.ok).toBe(false);
    const got = result.problems.map((p) => ({ code: p.code, line: p.line, column: p.column, path: p.path }));
    const want = problems.map((p) => ({ ...p, code: `SLIPWAY_E_PIPELINE_${p.code}` }));
    expect(got).toEqual(want);
    for (const p of result.problems) {
      expect(p.file).toBe(join(dir, file));
      expect(p.severity).toBe("error");
    }
  });

  it("covers every error code except NOT_FOUND and TOO_LARGE (a 1 MiB fixture; both tested on their own)", () => {
    const used = new Set(expected.flatMap((e) => e.problems.map((p) => `SLIPWAY_E_PIPELINE_${p.code}`)));
    const missing = Object.keys(PIPELINE_ERROR_CODES).filter(
      (c) => !used.has(c) && c !== "SLIPWAY_E_PIPELINE_NOT_FOUND" && c !== "SLIPWAY_E_PIPELINE_TOO_LARGE",
    );
    expect(missing).toEqual([]);
  });
});

describe("hints and messages", () => {
  const cases: [file: string, index: number, text: string][] = [
    ["09-unknown-top-key.yml", 1, 'unknown key "stage" in the pipeline root (did you mean "stages"?)'],
    ["10-unknown-stage-key.yml", 1, 'unknown key "comands" in stages[0] (did you mean "commands"?)'],
    ["11-commands-number.yml", 0, "expected a string or a list of strings for stages[0].commands, got a number (42)"],
    ["18-deploy-unknown-env.yml", 0, '(did you mean "integration"?)'],
    ["19-compose-run-builder-unknown.yml", 0, '(did you mean "node"?)'],
    ["20-unknown-builder.yml", 0, '(did you mean "go"?)'],
    ["21-bad-when.yml", 0, '(did you mean "release"?)'],
    ["22-bad-when-single.yml", 0, '(did you mean "feature"?)'],
    ["34-many-problems.yml", 0, '(did you mean "image"?)'],
    ["36-push-bad-placeholder.yml", 0, '(did you mean "version"?)'],
    ["39-flow-unknown-key.yml", 0, '(did you mean "main"?)'],
    ["06-tab-indent.yml", 0, "Tabs are not allowed"],
  ];
  it.each(cases)("%s problem %i says %s", async (file, index, text) => {
    const result = await loadPipelineFile(join(dir, file));
    expect(result.problems[index]?.message).toContain(text);
  });

  it("gives no hint when nothing is close", async () => {
    const result = await loadPipelineFile(join(dir, "34-many-problems.yml"));
    const env = result.problems.find((p) => p.code === "SLIPWAY_E_PIPELINE_UNKNOWN_ENVIRONMENT");
    expect(env?.message).not.toContain("did you mean");
    expect(env?.message).toContain("defined: staging");
  });

  it("formats problems compiler-style", async () => {
    const result = await loadPipelineFile(join(dir, "10-unknown-stage-key.yml"));
    const line = formatProblem({ ...(result.problems[1] as (typeof result.problems)[number]), file: "slipway.yml" });
    expect(line).toBe(
      'slipway.yml:7:5: error SLIPWAY_E_PIPELINE_UNKNOWN_KEY: unknown key "comands" in stages[0] (did you mean "commands"?)',
    );
  });
});
