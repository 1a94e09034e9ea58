import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../../pipelines/index.js";
import { isDemoImage } from "../../../runner/demo/down.js";
import { DEMO, demoPipeline } from "../../../runner/demo/sample-repo.js";

// The integration test runs the demo with docker-registry installed; the variant without a
// registry (no push stage, a local image) is only checked here, by the real pipeline parser.
describe("slipway demo's pipeline", () => {
  it("with a registry: the image is on it and a push stage pushes it", () => {
    const parsed = parsePipeline(demoPipeline("127.0.0.1:5000"), "slipway.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.pipeline.image).toBe(`127.0.0.1:5000/${DEMO.imageRepo}`);
    expect(parsed.pipeline.stages.map((s) => s.name)).toEqual([
      "build",
      "package",
      "integration",
      "push",
      "deploy-integration",
    ]);
  });

  it("without a registry: a local image and no push stage, still deployed", () => {
    const parsed = parsePipeline(demoPipeline(undefined), "slipway.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.pipeline.image).toBe(DEMO.imageRepo);
    expect(parsed.pipeline.stages.map((s) => s.name)).toEqual([
      "build",
      "package",
      "integration",
      "deploy-integration",
    ]);
  });

  it("--down picks only the demo's image tags", () => {
    expect(isDemoImage(`${DEMO.imageRepo}:develop-1`)).toBe(true);
    expect(isDemoImage(`127.0.0.1:40000/${DEMO.imageRepo}:latest`)).toBe(true);
    expect(isDemoImage(`slipway-builder/${DEMO.builder}:18-5ad54293e4a0`)).toBe(true);
    expect(isDemoImage("slipway-builder/node:18-5ad54293e4a0")).toBe(false);
    expect(isDemoImage("slipway-example/hello-node:develop-1")).toBe(false);
    expect(isDemoImage("busybox:latest")).toBe(false);
  });
});
