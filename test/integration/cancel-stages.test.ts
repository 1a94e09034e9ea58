import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../engine/index.js";
import { parsePipeline } from "../../pipelines/index.js";
import { executePipeline, type PipelineRunResult } from "../../runner/pipeline-executor.js";
import { createPushHandler } from "../../runner/serve/push-stage.js";
import { localStages, type StageRegistry } from "../../runner/stages/registry.js";
import { docker } from "../helpers/docker.js";

/**
 * Cancel and `timeout:` reach the stages that talk to the daemon through a single long
 * request (package, builder-image builds, push): the request is closed, the daemon stops the
 * work (a `RUN` container is killed) and the stage ends at once.
 */
const engine = new DockerEngine();
const OWNER = "slipway-test-cancel";
const marker = `slipway-cancel-${process.pid}-${Date.now().toString(36)}`;
// Unique per process: an image left by an earlier, interrupted run cannot satisfy an assertion.
const PACKAGE_IMAGE = `slipway-test/cancel-package-${process.pid}`;
let dir: string;
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-cancel-"));
  // Two different markers so that the package and builder builds never share a cache entry.
  writeFileSync(join(dir, "Dockerfile"), `FROM busybox:latest\nRUN sleep 30 && echo ${marker}-package\n`);
  writeFileSync(join(dir, "Builder.Dockerfile"), `FROM busybox:latest\nRUN sleep 30 && echo ${marker}-builder\n`);
  writeFileSync(join(dir, "Quick.Dockerfile"), `FROM busybox:latest\nLABEL slipway.test=${marker}\n`);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const img of await docker.listImages({ filters: JSON.stringify({ label: [`slipway.test=${marker}`] }) }))
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => {});
});

/** Build containers of this file's `RUN sleep 30` steps that still exist (the daemon's own, unlabelled). */
async function buildContainers(): Promise<string[]> {
  const all = await docker.listContainers({ all: true });
  return all.filter((c) => c.Command.includes(marker)).map((c) => `${c.Id.slice(0, 12)} ${c.State}`);
}

/** Polls until the daemon has removed the build container (it does so right after the client goes). */
async function buildContainersGone(): Promise<string[]> {
  for (let i = 0; i < 40 && (await buildContainers()).length > 0; i++) await new Promise((r) => setTimeout(r, 250));
  return buildContainers();
}

function pipeline(yaml: string) {
  const parsed = parsePipeline(yaml, "slipway.yml");
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.pipeline;
}

async function run(yaml: string, opts: { abortWhen?: (line: string) => boolean; stages?: StageRegistry } = {}) {
  const controller = new AbortController();
  const lines: string[] = [];
  let abortedAt = 0;
  const runId = `t${process.pid}-cancel${++counter}`;
  const started = Date.now();
  const result: PipelineRunResult = await executePipeline({
    engine,
    runId,
    runNumber: counter,
    owner: OWNER,
    pipeline: pipeline(yaml),
    workspaceDir: dir,
    ref: { ref: "refs/heads/develop", sha: "0".repeat(40), isTag: false },
    source: dir,
    artifactsDir: join(dir, "artifacts", runId),
    signal: controller.signal,
    graceSeconds: 1,
    stages: opts.stages,
    log: (line) => {
      lines.push(line);
      if (process.env.SLIPWAY_TEST_VERBOSE) console.log(line);
      if (!abortedAt && opts.abortWhen?.(line)) {
        abortedAt = Date.now();
        setTimeout(() => controller.abort(), 300);
      }
    },
  });
  const ended = Date.now();
  return {
    result,
    lines,
    runId,
    seconds: (ended - started) / 1000,
    afterAbort: abortedAt ? (ended - abortedAt) / 1000 : undefined,
  };
}

describe("cancel and timeout reach every stage kind (real engine)", () => {
  it("cancel during package stops the docker build of a slow RUN step", async () => {
    const { result, afterAbort, runId } = await run(
      `name: cancel-package\nimage: ${PACKAGE_IMAGE}\nstages:\n  - name: package\n    package: { dockerfile: Dockerfile, context: . }\n`,
      { abortWhen: (line) => line.includes(`RUN sleep 30 && echo ${marker}-package`) },
    );
    expect(result.stages.map((s) => [s.name, s.status])).toEqual([["package", "cancelled"]]);
    expect(result.cancelled).toBe(true);
    expect(afterAbort).toBeDefined();
    expect(afterAbort).toBeLessThan(8);
    expect(await buildContainersGone()).toEqual([]);
    expect(await engine.imageId(`${PACKAGE_IMAGE}:develop-${counter}`)).toBeUndefined();
    expect(await engine.imageId(`${PACKAGE_IMAGE}:develop`)).toBeUndefined();
    expect(await engine.listResources([`${LABEL.run}=${runId}`])).toEqual([]);
  });

  it("a stage timeout stops a builder-image build and fails the stage as timed out", async () => {
    const { result, seconds } = await run(
      [
        "name: timeout-builder",
        "builders:",
        "  slow: { dockerfile: Builder.Dockerfile, context: ., version: '1' }",
        "stages:",
        "  - name: build",
        "    builder: slow",
        "    commands: [echo never]",
        "    timeout: 3s",
        "",
      ].join("\n"),
    );
    expect(result.stages.map((s) => [s.name, s.status, s.detail])).toEqual([["build", "failed", "timed out after 3s"]]);
    expect(seconds).toBeLessThan(15);
    expect(await buildContainersGone()).toEqual([]);
  });

  describe("push", () => {
    let stall: Server;
    const sockets = new Set<Socket>();
    let host: string;
    beforeAll(async () => {
      // A "registry" that accepts connections and never answers: the push hangs until cancelled.
      stall = createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => stall.listen(0, "127.0.0.1", resolve));
      const address = stall.address();
      host = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => stall.close(resolve));
    });

    it("cancel during push returns at once although the registry never answers", async () => {
      const image = `${host}/slipway-test/cancel-push`;
      let pushed = 0;
      const { result, afterAbort, lines } = await run(
        [
          "name: cancel-push",
          `image: ${image}`,
          "stages:",
          "  - name: package",
          "    package: { dockerfile: Quick.Dockerfile, context: . }",
          "  - name: push",
          "    push: { tags: ['{version}'] }",
          "",
        ].join("\n"),
        {
          abortWhen: (line) => line.startsWith("The push refers to repository"),
          stages: localStages().register(
            "push",
            createPushHandler([], async (_ctx, records) => {
              pushed += records.length;
            }),
          ),
        },
      );
      expect(result.stages.map((s) => [s.name, s.status])).toEqual([
        ["package", "success"],
        ["push", "cancelled"],
      ]);
      expect(lines.some((l) => l.startsWith("The push refers to repository"))).toBe(true);
      expect(afterAbort).toBeLessThan(5);
      expect(pushed).toBe(0);
      for (const ref of [`${image}:develop-${counter}`, `${image}:develop`]) await engine.removeImage(ref);
    });
  });
});
