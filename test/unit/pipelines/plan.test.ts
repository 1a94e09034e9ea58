import { describe, expect, it } from "vitest";
import {
  classifyRef,
  defaultFlow,
  expandTagTemplate,
  type FlowKind,
  type Pipeline,
  type PushStage,
  parsePipeline,
  planStages,
  resolvePushTags,
} from "../../../pipelines/index.js";

const result = parsePipeline(
  `name: app
image: r/app
builders: { go: { image: "golang:1.22" } }
stages:
  - { name: build, builder: go, commands: [make] }
  - { name: package, package: {} }
  - { name: release-only, builder: go, commands: [make notes], when: [release, hotfix] }
  - { name: push, push: {} }
  - { name: push-main, push: { tags: ["main-{run}"] }, when: main }
  - { name: deploy-int, deploy: integration }
  - { name: deploy-staging, deploy: staging }
  - { name: deploy-prod, deploy: production, when: [tag] }
environments:
  integration: { compose: c.yml }
  staging: { compose: c.yml, when: [tag, release] }
  production: { compose: c.yml, when: [main] }
`,
  "slipway.yml",
);
if (!result.ok) throw new Error(JSON.stringify(result.problems));
const pipeline: Pipeline = result.pipeline;

function running(ref: string, opts?: { isTag?: boolean }): string[] {
  return planStages(pipeline, classifyRef(ref, defaultFlow(), opts))
    .filter((p) => !p.skipped)
    .map((p) => p.stage.name);
}

describe("planStages", () => {
  it.each<[string, { isTag?: boolean } | undefined, string[]]>([
    ["develop", undefined, ["build", "package", "push", "deploy-int"]],
    ["feature/login", undefined, ["build", "package"]],
    ["release/1.2", undefined, ["build", "package", "release-only", "push", "deploy-staging"]],
    ["hotfix/1.2.1", undefined, ["build", "package", "release-only", "push"]],
    ["main", undefined, ["build", "package", "push-main"]],
    ["master", undefined, ["build", "package", "push-main"]],
    ["refs/tags/v1.0.0", undefined, ["build", "package", "push", "deploy-staging", "deploy-prod"]],
    ["v1.0.0", { isTag: true }, ["build", "package", "push", "deploy-staging", "deploy-prod"]],
    ["renovate/x", undefined, ["build", "package"]],
    ["refs/tags/nightly", undefined, ["build", "package"]],
  ])("%s runs %j", (ref, opts, expected) => {
    expect(running(ref, opts)).toEqual(expected);
  });

  it("keeps every stage in order and explains skips", () => {
    const plan = planStages(pipeline, classifyRef("feature/login", defaultFlow()));
    expect(plan.map((p) => p.stage.name)).toEqual(pipeline.stages.map((s) => s.name));
    const push = plan.find((p) => p.stage.name === "push");
    expect(push).toMatchObject({ skipped: true });
    expect(push?.reason).toContain("default when");
    expect(push?.reason).toContain("feature");
    expect(plan[0]?.reason).toBeUndefined();
  });

  it.each<FlowKind>(["develop", "feature", "release", "hotfix", "main", "tag", "other"])(
    "a stage without when runs for %s",
    (kind) => {
      const plan = planStages(pipeline, { ref: "refs/heads/x", name: "x", kind, isTag: false });
      expect(plan[0]?.skipped).toBe(false);
    },
  );
});

describe("expandTagTemplate", () => {
  const ctx = { version: "1.2-rc.7", branch: "release/1.2", sha: "abc1234", run: 7 };
  it.each([
    ["{version}", "1.2-rc.7"],
    ["{branch}", "release-1.2"],
    ["{branch}-{run}", "release-1.2-7"],
    ["sha-{sha}", "sha-abc1234"],
    ["Build+{run}", "build-7"],
    ["stable", "stable"],
  ])("%s → %s", (template, expected) => {
    expect(expandTagTemplate(template, ctx)).toBe(expected);
  });

  it("throws on a placeholder validation would have rejected", () => {
    expect(() => expandTagTemplate("{nope}", ctx)).toThrow(/nope/);
  });
});

describe("resolvePushTags", () => {
  const push = (tags: string[]): PushStage => ({ type: "push", name: "push", env: {}, tags });
  it("defaults to the computed tags", () => {
    expect(resolvePushTags(push([]), classifyRef("develop", defaultFlow()), 4, "abc")).toEqual([
      "develop-4",
      "develop",
    ]);
    expect(resolvePushTags(push([]), classifyRef("refs/tags/v2", defaultFlow()), 4, "abc")).toEqual(["v2", "latest"]);
  });
  it("expands templates and drops duplicates", () => {
    const info = classifyRef("develop", defaultFlow());
    expect(resolvePushTags(push(["{version}", "develop-{run}", "{branch}"]), info, 4, "abc")).toEqual([
      "develop-4",
      "develop",
    ]);
  });
});
