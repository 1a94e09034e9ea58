import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPipelineFile, type Pipeline, parsePipeline, type Stage } from "../../../pipelines/index.js";

const valid = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines/valid");

function parseOk(text: string): Pipeline {
  const result = parsePipeline(text, "slipway.yml");
  if (!result.ok)
    throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.code} ${p.message}`).join("\n"));
  return result.pipeline;
}

function stageOf(yaml: string): Stage {
  const pipeline = parseOk(
    `name: x\nimage: r/x\nbuilders: { go: { image: "golang:1.22" } }\nenvironments: { prod: { compose: c.yml } }\nstages:\n${yaml}`,
  );
  return pipeline.stages[0] as Stage;
}

describe("parsePipeline on valid files", () => {
  it("normalises the DESIGN.md sketch, applying every default", async () => {
    const result = await loadPipelineFile(join(valid, "full.yml"));
    expect(result.problems).toEqual([]);
    if (!result.ok) return;
    const p = result.pipeline;
    expect(p.name).toBe("go-auth");
    expect(p.image).toBe("registry.local:5000/acme/go-auth");
    expect(p.flow).toEqual({
      develop: "develop",
      main: "master",
      feature: "feature/",
      release: "release/",
      hotfix: "hotfix/",
      tag: "v*",
    });
    expect(p.builders).toEqual({
      go: { name: "go", dockerfile: "build/go/Dockerfile", context: "build/go", version: "1.22" },
      node: { name: "node", image: "node:20-alpine", version: "20-alpine" },
      py: { name: "py", catalog: "python", version: "3.12" },
    });
    expect(p.stages).toEqual([
      {
        name: "build",
        type: "build",
        builder: "go",
        commands: ["go test ./...", "go build -o out/go-auth ."],
        artifacts: ["out/go-auth"],
        timeoutSeconds: 300,
        env: { CGO_ENABLED: "0", GOFLAGS: "-mod=vendor" },
      },
      { name: "package", type: "package", dockerfile: "Dockerfile", context: ".", buildArgs: {}, env: {} },
      {
        name: "integration",
        type: "compose",
        file: "test/docker-compose.yml",
        parallel: 2,
        run: { service: "tests", command: ["./integration-test.sh"] },
        wait: { tcp: [], http: [], timeoutSeconds: 120 },
        junit: [],
        env: {},
      },
      {
        name: "push",
        type: "push",
        tags: ["{version}", "{branch}"],
        when: ["develop", "release", "hotfix", "tag"],
        env: {},
      },
      { name: "deploy-integration", type: "deploy", environment: "integration", when: ["develop"], env: {} },
    ]);
    expect(p.environments).toEqual({
      integration: {
        name: "integration",
        compose: "deploy/docker-compose.yml",
        project: "messenger-int",
        strategy: "rolling",
        update: {
          parallelism: 1,
          delaySeconds: 10,
          order: "start-first",
          failureAction: "rollback",
          monitorSeconds: 15,
        },
        rollback: {},
        approval: "none",
      },
      production: {
        name: "production",
        compose: "deploy/docker-compose.yml",
        strategy: "recreate",
        update: {},
        rollback: {},
        approval: "none",
        when: ["tag"],
      },
    });
  });

  it("fills defaults for a minimal file", async () => {
    const result = await loadPipelineFile(join(valid, "minimal.yml"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.pipeline).toEqual({
      name: "tiny",
      flow: {
        develop: "develop",
        main: "main",
        feature: "feature/",
        release: "release/",
        hotfix: "hotfix/",
        tag: "v*",
      },
      builders: { node: { name: "node", image: "node:20", version: "20" } },
      stages: [{ name: "test", type: "build", builder: "node", commands: ["npm test"], artifacts: [], env: {} }],
      environments: {},
    });
  });

  it("freezes the validated pipeline", () => {
    const p = parseOk(
      "name: x\nbuilders: { go: { image: golang } }\nstages: [{ name: b, builder: go, commands: [make] }]\n",
    );
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.stages[0])).toBe(true);
    expect(p.builders.go?.version).toBe("latest");
  });

  it.each([
    [
      "package with no map",
      "  - name: p\n    package:\n",
      { type: "package", dockerfile: "Dockerfile", context: ".", buildArgs: {} },
    ],
    [
      "package build_args stringified",
      "  - name: p\n    package: { build_args: { V: 1.10, DEBUG: true, E: } }\n",
      { buildArgs: { V: "1.10", DEBUG: "true", E: "" } },
    ],
    ["push with no map", "  - name: p\n    push:\n", { type: "push", tags: [] }],
    ["push {}", "  - name: p\n    push: {}\n", { type: "push", tags: [] }],
    [
      "push registry",
      "  - name: p\n    push: { tags: '{version}', registry: r.local }\n",
      { tags: ["{version}"], registry: "r.local" },
    ],
    ["deploy", "  - name: d\n    deploy: prod\n", { type: "deploy", environment: "prod" }],
    ["timeout as number", "  - name: d\n    deploy: prod\n    timeout: 90\n", { timeoutSeconds: 90 }],
    ["timeout 1m30s", "  - name: d\n    deploy: prod\n    timeout: 1m30s\n", { timeoutSeconds: 90 }],
    ["single when", "  - name: d\n    deploy: prod\n    when: tag\n", { when: ["tag"] }],
    [
      "compose string command is split",
      "  - name: c\n    compose: { file: c.yml, run: { service: t, command: \"go test -run 'A B' ./...\" } }\n",
      { run: { service: "t", command: ["go", "test", "-run", "A B", "./..."] } },
    ],
    [
      "compose run in a builder",
      "  - name: c\n    compose: { file: c.yml, run: { builder: go, commands: make it } }\n",
      { run: { builder: "go", commands: ["make it"] } },
    ],
    [
      "compose shards set parallel",
      "  - name: c\n    compose:\n      file: c.yml\n      shards: [{ service: t, command: [a] }, { service: t, command: [b] }]\n      junit: out/*.xml\n",
      {
        parallel: 2,
        shards: [
          { service: "t", command: ["a"] },
          { service: "t", command: ["b"] },
        ],
        junit: ["out/*.xml"],
      },
    ],
    [
      "compose wait",
      "  - name: c\n    compose: { file: c.yml, wait: { tcp: db:5432, http: ['http://api:8080/health'], timeout: 1m } }\n",
      { wait: { tcp: ["db:5432"], http: ["http://api:8080/health"], timeoutSeconds: 60 } },
    ],
    ["env via alias", "  - &s\n    name: a\n    deploy: prod\n    env: { N: 3 }\n", { env: { N: "3" } }],
  ])("%s", (_, yaml, expected) => {
    expect(stageOf(yaml)).toMatchObject(expected);
  });
});

describe("parsePipeline problem collection", () => {
  it("reports every problem in one file, sorted by position", () => {
    const result = parsePipeline(
      "name: 3\nstages:\n  - name: a\n    builder: x\n    commands: [1]\n  - name: b\n    deploy: nowhere\n    when: [dev]\n",
      "s.yml",
    );
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.code.replace("SLIPWAY_E_PIPELINE_", ""), p.line, p.column])).toEqual([
      ["TYPE", 1, 7],
      ["UNKNOWN_BUILDER", 4, 14],
      ["TYPE", 5, 16],
      ["UNKNOWN_ENVIRONMENT", 7, 13],
      ["UNKNOWN_WHEN", 8, 12],
    ]);
  });

  it("keeps validating after a duplicate key", () => {
    const result = parsePipeline("name: a\nname: b\nstages: []\n", "s.yml");
    expect(result.problems.map((p) => p.code)).toEqual([
      "SLIPWAY_E_PIPELINE_DUPLICATE_KEY",
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
    ]);
  });

  it("reports a missing file as NOT_FOUND at 1:1", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "slipway-")), "slipway.yml");
    const result = await loadPipelineFile(path);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        file: path,
        line: 1,
        column: 1,
        code: "SLIPWAY_E_PIPELINE_NOT_FOUND",
        severity: "error",
      }),
    ]);
    writeFileSync(path, "name: x\nstages: [{ name: p, push: }]\nimage: i\n");
    expect((await loadPipelineFile(path)).ok).toBe(true);
  });

  it("never throws on odd input", () => {
    for (const text of [
      "~",
      "[",
      "{a: b",
      "? [a]\n: b\n",
      "name: !!binary AAAA\nstages: [{}]",
      "\u0000",
      "a: *nope\n",
    ]) {
      expect(() => parsePipeline(text, "s.yml")).not.toThrow();
      expect(parsePipeline(text, "s.yml").ok).toBe(false);
    }
  });
});
