import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runIntegrationStage } from "../../../compose/index.js";
import { DockerEngine } from "../../../engine/index.js";
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
  artifacts = await mkdtemp(join(tmpdir(), "slipway-compose-case-"));
});
afterEach(async () => {
  for (const runId of runIds.splice(0)) expect(await cleanupRun(engine, runId)).toEqual([]);
});
afterAll(async () => {
  await rm(artifacts, { recursive: true, force: true });
});

describe("mixed-case service names", () => {
  it("work in wait.tcp, wait.http and run.service on a real engine", async () => {
    const runId = newRunId("case");
    runIds.push(runId);
    const sink = logSink();
    const result = await runIntegrationStage({
      engine,
      runId,
      owner: OWNER,
      stage: composeStage({
        file: "docker-compose.yml",
        wait: { tcp: ["CacheDB:6379"], http: ["http://WebApp:8080/Health"], timeoutSeconds: 30 },
        run: {
          service: "TestRunner",
          command: [
            "sh",
            "-c",
            "wget -q -O - http://WebApp:8080/Health && nc -w 2 CacheDB 6379 -e true && echo reached both",
          ],
        },
      }),
      workspaceDir: stackDir("mixed-case"),
      workspace: await workspaceVolume(engine, runId),
      env: {},
      resolveBuilderImage: async () => "busybox:latest",
      artifactsDir: join(artifacts, runId),
      log: sink.log,
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(sink.text()).toContain("ready: tcp CacheDB:6379");
    expect(sink.text()).toContain("ready: http http://WebApp:8080/Health");
    expect(sink.text()).toContain("reached both");
    for (const shard of result.shards) expect(await projectResources(engine, shard.project)).toEqual([]);
  });
});
