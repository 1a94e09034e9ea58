import { describe, expect, it } from "vitest";
import { PIPELINE_LIMITS, parsePipeline } from "../../../pipelines/index.js";

const stage = (i: number, extra = "") =>
  [`  - name: s${i}`, "    builder: box", '    commands: ["true"]', ...(extra ? [extra] : [])].join("\n");
const pipeline = (stages: string[]) =>
  ["name: limits", "builders:", "  box: { image: busybox:latest }", "stages:", ...stages, ""].join("\n");

describe("pipeline limits", () => {
  it("a file over 1 MiB is refused at 1:1 before parsing, even when it is not YAML", () => {
    const text = `name: big\n# ${"x".repeat(PIPELINE_LIMITS.bytes)}\n: [ unclosed`;
    const result = parsePipeline(text, "slipway.yml");
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "SLIPWAY_E_PIPELINE_TOO_LARGE", line: 1, column: 1, severity: "error" }),
    ]);
  });

  it("exactly 1 MiB is still parsed", () => {
    const head = pipeline([stage(0)]);
    const text = `${head}#${"x".repeat(PIPELINE_LIMITS.bytes - Buffer.byteLength(head) - 2)}\n`;
    expect(Buffer.byteLength(text)).toBe(PIPELINE_LIMITS.bytes);
    expect(parsePipeline(text, "slipway.yml").ok).toBe(true);
  });

  it("more than 100 stages: SLIPWAY_E_PIPELINE_TOO_MANY at the stages list", () => {
    const result = parsePipeline(pipeline(Array.from({ length: 101 }, (_, i) => stage(i))), "slipway.yml");
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ code: "SLIPWAY_E_PIPELINE_TOO_MANY", path: "stages", line: 5 }),
    );
    expect(parsePipeline(pipeline(Array.from({ length: 100 }, (_, i) => stage(i))), "slipway.yml").ok).toBe(true);
  });

  it("more than 100 artifacts in a stage", () => {
    const paths = Array.from({ length: 101 }, (_, i) => `out/f${i}`).join(", ");
    const result = parsePipeline(pipeline([stage(0, `    artifacts: [${paths}]`)]), "slipway.yml");
    expect(result.problems).toContainEqual(
      expect.objectContaining({ code: "SLIPWAY_E_PIPELINE_TOO_MANY", path: "stages[0].artifacts", line: 8 }),
    );
  });

  it.each([
    [
      "parallel: 33",
      "    compose: { file: c.yml, parallel: 33, run: { service: t, command: [x] } }",
      "stages[0].compose.parallel",
    ],
    [
      "33 shards",
      `    compose: { file: c.yml, shards: [${Array.from({ length: 33 }, () => "{ service: t, command: [x] }").join(", ")}] }`,
      "stages[0].compose.shards",
    ],
  ])("a compose stage with %s", (_what, body, path) => {
    const text = pipeline(["  - name: it", body]);
    const result = parsePipeline(text, "slipway.yml");
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ code: "SLIPWAY_E_PIPELINE_TOO_MANY", path, line: 6 }),
    );
  });
});
