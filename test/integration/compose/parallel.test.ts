import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runIntegrationStage } from "../../../compose/index.js";
import { DockerEngine } from "../../../engine/index.js";
import { docker } from "../../helpers/docker.js";
import {
  cleanupRun,
  composeStage,
  fixtureImage,
  logSink,
  newRunId,
  OWNER,
  projectResources,
  stackDir,
  workspaceVolume,
} from "./helpers.js";

const engine = new DockerEngine();
let images: { app: string; db: string };
let artifacts: string;
const runIds: string[] = [];

beforeAll(async () => {
  images = { app: await fixtureImage(engine, "app"), db: await fixtureImage(engine, "db") };
  artifacts = await mkdtemp(join(tmpdir(), "slipway-compose-artifacts-"));
});

afterEach(async () => {
  // The contract of the feature: nothing labelled with the test's run survives the stage.
  for (const runId of runIds.splice(0)) expect(await cleanupRun(engine, runId)).toEqual([]);
});

afterAll(async () => {
  await rm(artifacts, { recursive: true, force: true });
});

async function setup(tag: string) {
  const runId = newRunId(tag);
  runIds.push(runId);
  return {
    runId,
    workspace: await workspaceVolume(engine, runId),
    sink: logSink(),
    artifactsDir: join(artifacts, runId),
  };
}

describe("compose integration stage on a real engine", () => {
  it("runs three isolated copies of an app + MariaDB stack at once", async () => {
    const { runId, workspace, sink, artifactsDir } = await setup("par");
    const started = Date.now();
    const result = await runIntegrationStage({
      engine,
      runId,
      owner: OWNER,
      stage: composeStage({
        file: "docker-compose.yml",
        parallel: 3,
        run: { service: "tests", command: ["node", "/app/test.js"] },
        wait: { tcp: ["db:3306"], http: ["http://app:8080/healthz"], timeoutSeconds: 60 },
        junit: ["reports/*.xml"],
      }),
      workspaceDir: stackDir("users"),
      workspace,
      env: { IMAGE: images.app, DB_IMAGE: images.db, SLIPWAY_RUN: runId },
      resolveBuilderImage: async () => images.app,
      artifactsDir,
      log: sink.log,
    });
    console.log(`three app+MariaDB stacks, up+test+down: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(result.error, sink.text()).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.shards.map((s) => [s.index, s.ok, s.exitCode])).toEqual([
      [0, true, 0],
      [1, true, 0],
      [2, true, 0],
    ]);
    expect(new Set(result.shards.map((s) => s.project)).size).toBe(3);
    // Each stack registered "alice" once (200) then saw its own duplicate (409): the databases were separate.
    for (const i of [0, 1, 2]) {
      expect(sink.lines).toContain(`[shard ${i}] shard=${i} shards=3`);
      expect(sink.lines).toContain(`[shard ${i}] ok rejects a duplicate user`);
    }
    // Each test run got its own SLIPWAY_SHARD: the reports are named after it.
    expect(result.junit, sink.text()).toEqual({
      tests: 9,
      passed: 6,
      failed: 0,
      errors: 0,
      skipped: 3,
      files: ["reports/junit-0.xml", "reports/junit-1.xml", "reports/junit-2.xml"],
    });
    expect(await readdir(join(artifactsDir, "reports"))).toHaveLength(3);
    expect(await readFile(join(artifactsDir, "reports/junit-2.xml"), "utf8")).toContain('name="shard-2"');
    for (const shard of result.shards) expect(await projectResources(engine, shard.project)).toEqual([]);
  });

  it("runs a file with fixed host ports (9000:9000) as two stacks at once, tests in a builder container", async () => {
    const { runId, workspace, sink, artifactsDir } = await setup("port");
    const published: string[] = [];
    const inspections: Promise<void>[] = [];
    const result = await runIntegrationStage({
      engine,
      runId,
      owner: OWNER,
      stage: composeStage({
        file: "docker-compose.yml",
        parallel: 2,
        env: { APP_URL: "http://app:9000", JUNIT_DIR: "/workspace/reports" },
        run: { builder: "node", commands: ["echo builder on shard $SLIPWAY_SHARD", "node /app/test.js"] },
        wait: { tcp: ["db:3306"], http: ["http://app:9000/healthz"], timeoutSeconds: 60 },
        junit: ["reports/junit-*.xml"],
      }),
      workspaceDir: stackDir("fixed-port"),
      workspace,
      env: { IMAGE: images.app, DB_IMAGE: images.db },
      resolveBuilderImage: async (name) => {
        expect(name).toBe("node");
        return images.app;
      },
      artifactsDir,
      log: (line) => {
        sink.log(line);
        const ready = /^\[shard (\d)\] stack ready/.exec(line);
        if (ready) inspections.push(recordPorts(`slipway-${runId}-integration-${ready[1]}`, published));
      },
    });
    await Promise.all(inspections);
    expect(result.error, sink.text()).toBeUndefined();
    expect(result.shards.map((s) => s.ok)).toEqual([true, true]);
    expect(sink.lines).toContain("[shard 1] builder on shard 1");
    expect(sink.text()).toContain('port app: "9000:9000" → 127.0.0.1::9000');
    // Both stacks published app:9000 (three fixed mappings of it, collapsed into one) and db:3306
    // at the same time, each on its own engine-chosen loopback port.
    expect(published).toHaveLength(4);
    expect(published.every((p) => p.startsWith("127.0.0.1:"))).toBe(true);
    expect(new Set(published).size).toBe(4);
    expect(published.some((p) => p === "127.0.0.1:9000")).toBe(false);
    expect(result.junit?.tests).toBe(6);
  });

  it("gives each `shards:` entry its own run spec and fails the stage when one shard fails", async () => {
    const { runId, workspace, sink, artifactsDir } = await setup("shards");
    const result = await runIntegrationStage({
      engine,
      runId,
      owner: OWNER,
      stage: composeStage({
        file: "docker-compose.yml",
        shards: [
          { service: "tests", command: ["sh", "-c", "echo first run: shard $SLIPWAY_SHARD of $SLIPWAY_SHARDS"] },
          { builder: "busybox", commands: ["echo second run: shard $SLIPWAY_SHARD of $SLIPWAY_SHARDS", "exit 3"] },
        ],
        wait: { tcp: [], http: [], timeoutSeconds: 30 },
      }),
      workspaceDir: stackDir("slow"),
      workspace,
      env: {},
      resolveBuilderImage: async () => "busybox:latest",
      artifactsDir,
      log: sink.log,
    });
    expect(result.ok).toBe(false);
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_TESTS_FAILED");
    expect(result.shards.map((s) => [s.ok, s.exitCode])).toEqual([
      [true, 0],
      [false, 3],
    ]);
    expect(sink.lines).toContain("[shard 0] first run: shard 0 of 2");
    expect(sink.lines).toContain("[shard 1] second run: shard 1 of 2");
    expect(result.error).toMatch(/^shard 1: tests exited with code 3/);
    expect(sink.lines).toContain("[shard 1] last 50 log lines of each service:");
  });
});

/** Reads the host side of every published port of a project, while it runs. */
async function recordPorts(project: string, into: string[]): Promise<void> {
  const containers = await docker.listContainers({
    filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
  });
  for (const c of containers) {
    for (const p of c.Ports) if (p.PublicPort) into.push(`${p.IP}:${p.PublicPort}`);
  }
}
