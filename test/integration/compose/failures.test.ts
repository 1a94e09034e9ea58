import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type IntegrationStageOptions, runIntegrationStage } from "../../../compose/index.js";
import { DockerEngine } from "../../../engine/index.js";
import type { ComposeStage } from "../../../pipelines/types.js";
import {
  cleanupRun,
  composeStage,
  logSink,
  newRunId,
  OWNER,
  projectResources,
  stackDir,
  workspaceVolume,
} from "./helpers.js";

const engine = new DockerEngine();
let artifacts: string;
const runIds: string[] = [];

beforeAll(async () => {
  artifacts = await mkdtemp(join(tmpdir(), "slipway-compose-failures-"));
});

afterEach(async () => {
  for (const runId of runIds.splice(0)) expect(await cleanupRun(engine, runId)).toEqual([]);
});

afterAll(async () => {
  await rm(artifacts, { recursive: true, force: true });
});

async function stage(tag: string, stackName: string, spec: ComposeStage, extra: Partial<IntegrationStageOptions> = {}) {
  const runId = newRunId(tag);
  runIds.push(runId);
  const sink = logSink();
  const started = Date.now();
  const result = await runIntegrationStage({
    engine,
    runId,
    owner: OWNER,
    stage: spec,
    workspaceDir: stackDir(stackName),
    workspace: await workspaceVolume(engine, runId),
    env: {},
    resolveBuilderImage: async () => "busybox:latest",
    artifactsDir: join(artifacts, runId),
    log: sink.log,
    ...extra,
  });
  const seconds = (Date.now() - started) / 1000;
  for (const shard of result.shards) expect(await projectResources(engine, shard.project)).toEqual([]);
  return { result, sink, seconds };
}

describe("compose stage failures", () => {
  it("refuses container_name with the documented code, the service and its line", async () => {
    const { result } = await stage(
      "cname",
      "container-name",
      composeStage({ file: "docker-compose.yml", run: { service: "db", command: ["true"] } }),
    );
    expect(result.ok).toBe(false);
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_CONTAINER_NAME");
    expect(result.error).toMatch(/^docker-compose\.yml:7:5: service "web" sets container_name "fixed-web"/);
    expect(result.shards).toEqual([]);
  });

  it("fails fast when a service turns unhealthy, naming it with its health log and logs", async () => {
    const { result, sink, seconds } = await stage(
      "sick",
      "unhealthy",
      composeStage({
        file: "docker-compose.yml",
        run: { service: "tests", command: ["true"] },
        wait: { tcp: [], http: [], timeoutSeconds: 60 },
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_UNHEALTHY");
    expect(seconds).toBeLessThan(30);
    expect(result.error).toMatch(/service "sick" is unhealthy after/);
    expect(result.error).toContain("exit 1: probe says dependency missing");
    expect(result.error).toContain("waiting for a dependency that never comes");
    expect(result.shards[0]?.exitCode).toBe(-1);
    // The failure also puts every service's last lines in the stage log.
    expect(sink.lines).toContain("[shard 0] last 50 log lines of each service:");
    expect(sink.text()).toMatch(/\[shard 0\] {3}sick_1 +\| sick service starting/);
  });

  it("fails at the wait timeout when a service never becomes healthy", async () => {
    const { result, seconds } = await stage(
      "never",
      "never-ready",
      composeStage({
        file: "docker-compose.yml",
        run: { service: "tests", command: ["true"] },
        wait: { tcp: [], http: [], timeoutSeconds: 4 },
      }),
    );
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_WAIT_TIMEOUT");
    expect(result.error).toMatch(/service "slow" not ready within 4s \(health starting\)/);
    expect(result.error).toContain("still warming up");
    expect(result.error).toContain("slow service booting");
    expect(seconds).toBeLessThan(20);
  });

  it("aborts at the stage timeout and tears every stack down", async () => {
    const { result, seconds } = await stage(
      "timeout",
      "slow",
      composeStage({
        file: "docker-compose.yml",
        parallel: 2,
        timeoutSeconds: 6,
        run: { service: "tests", command: ["sleep", "300"] },
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_TIMEOUT");
    expect(result.shards.map((s) => s.code)).toEqual(["SLIPWAY_E_COMPOSE_TIMEOUT", "SLIPWAY_E_COMPOSE_TIMEOUT"]);
    expect(seconds).toBeLessThan(25);
  });

  it("tears down on cancel (AbortSignal) while tests run in builder containers", async () => {
    const controller = new AbortController();
    const { result, seconds } = await stage(
      "cancel",
      "slow",
      composeStage({
        file: "docker-compose.yml",
        run: { builder: "busybox", commands: ["echo testing", "sleep 300"] },
      }),
      {
        signal: controller.signal,
        log: (line) => {
          if (line.endsWith("] testing")) setTimeout(() => controller.abort(), 200);
        },
      },
    );
    expect(result.code).toBe("SLIPWAY_E_COMPOSE_CANCELLED");
    expect(result.shards[0]?.code).toBe("SLIPWAY_E_COMPOSE_CANCELLED");
    expect(seconds).toBeLessThan(25);
  });
});
