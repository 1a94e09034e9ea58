import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../../compose/index.js";
import { deployVersion, type EnvironmentTarget, isDeployError } from "../../../deploy/index.js";
import { parsePipeline } from "../../../pipelines/index.js";
import { openStore, type Store } from "../../../store/index.js";
import { appImage, engine } from "./helpers.js";

// The hook service has `profiles:`, so `up` never starts it and the rollout leaves it out;
// FAIL_PRE / FAIL_POST come from the version's variables, the way a real hook reads its env.
const COMPOSE = `services:
  app:
    image: \${IMAGE}
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
      interval: 500ms
      retries: 2
    deploy: { replicas: 1, update_config: { order: start-first, monitor: 1s } }
  migrate:
    image: \${IMAGE}
    profiles: [hooks]
    environment: ["FAIL_PRE=\${FAIL_PRE:-0}", "FAIL_POST=\${FAIL_POST:-0}"]
`;

const PIPELINE = `name: hooked
image: slipway-deploy-test/app
environments:
  staging:
    compose: compose.yml
    hooks:
      pre_deploy:
        service: migrate
        command: 'echo "pre env=$SLIPWAY_ENV old=$SLIPWAY_OLD_VERSION new=$SLIPWAY_NEW_VERSION image=$(cat /www/version)"; test "$FAIL_PRE" != 1'
        timeout: 1m
      post_deploy:
        service: migrate
        command: ["sh", "-c", "echo post new=$SLIPWAY_NEW_VERSION; test \\"$FAIL_POST\\" != 1"]
stages:
  - { name: deploy, deploy: staging }
`;

describe("deploy hooks (pre_deploy, post_deploy) in a one-off container of the environment's service", () => {
  let dir: string;
  let store: Store;
  const project = `slipway-deploy-test-hooks-${process.pid}`;
  const images: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-hooks-"));
    await writeFile(join(dir, "compose.yml"), COMPOSE);
    store = await openStore(undefined, { dataDir: dir });
    for (const v of ["v1", "v2", "v3", "v4"]) images[v] = await appImage(v);
  });
  afterAll(async () => {
    const cli = await detectCompose();
    await runCompose(
      cli,
      { project, files: [join(dir, "compose.yml")], projectDirectory: dir },
      { kind: "down", stopTimeoutSeconds: 1 },
      { env: { IMAGE: "busybox:latest" } },
    );
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function target(version: string, extra: Record<string, string> = {}): EnvironmentTarget {
    const parsed = parsePipeline(PIPELINE, "slipway.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const environment = parsed.pipeline.environments.staging;
    if (!environment) throw new Error("no environment");
    return {
      repository: "hooked",
      environment,
      project,
      composeFile: join(dir, "compose.yml"),
      version,
      variables: { IMAGE: images[version] ?? "", ...extra },
    };
  }
  async function deploy(version: string, extra: Record<string, string> = {}) {
    const lines: string[] = [];
    const result = await deployVersion(target(version, extra), {
      engine,
      records: store.deployments,
      holder: "test-runner",
      log: (l) => lines.push(l),
    }).catch((err: unknown) => err);
    return { result, log: lines.join("\n") };
  }
  async function appContainers(): Promise<{ id: string; image: string }[]> {
    // Every running container of the project: a leftover hook container would show here.
    const list = await engine.listResources([`${COMPOSE_LABEL.project}=${project}`]);
    const out: { id: string; image: string }[] = [];
    for (const r of list.filter((r) => r.kind === "container")) {
      const c = await engine.inspectContainer(r.id).catch(() => undefined); // removed meanwhile
      if (c?.running) out.push({ id: r.id, image: c.image ?? "" });
    }
    return out;
  }

  it("runs pre_deploy from the new version's image with the versions in its environment, then post_deploy", async () => {
    const first = await deploy("v1");
    expect(first.result).toMatchObject({ status: "success", version: "v1" });
    expect(first.log).toContain("pre env=staging old= new=v1 image=v1");
    expect(first.log).toContain("post new=v1");
    const second = await deploy("v2");
    expect(second.result).toMatchObject({ status: "success", version: "v2", previousVersion: "v1" });
    expect(second.log).toContain("pre env=staging old=v1 new=v2 image=v2");
    // The pre hook ran before the rollout changed anything, the post hook after it.
    expect(second.log.indexOf("pre env=")).toBeLessThan(second.log.indexOf("batch 1/1"));
    expect(second.log.indexOf("post new=v2")).toBeGreaterThan(second.log.indexOf("batch 1/1"));
    // Only the app runs: the hook service (profiles) is no part of the stack, and --rm left nothing.
    expect((await appContainers()).map((c) => c.image)).toEqual([images.v2]);
  });

  /** Something serving to change (when this test runs alone). */
  async function serving(): Promise<void> {
    const key = { repository: "hooked", environment: "staging" };
    if (!(await store.deployments.latestDeployment(key, ["success"]))) await deploy("v1");
  }

  it("a failing pre_deploy hook aborts with nothing changed, recorded failed", async () => {
    await serving();
    const before = await appContainers();
    const { result } = await deploy("v3", { FAIL_PRE: "1" });
    expect(isDeployError(result, "SLIPWAY_E_DEPLOY_HOOK_FAILED")).toBe(true);
    expect((result as Error).message).toMatch(/^pre_deploy hook failed/);
    expect(await appContainers()).toEqual(before);
    const [latest] = await store.deployments.listDeployments({ repository: "hooked", environment: "staging" });
    expect(latest).toMatchObject({ version: "v3", status: "failed" });
    expect(latest?.outcome).toMatch(/nothing was changed/);
  });

  it("a failing post_deploy hook leaves the new version serving and fails the caller", async () => {
    await serving();
    const { result } = await deploy("v4", { FAIL_POST: "1" });
    expect(isDeployError(result, "SLIPWAY_E_DEPLOY_HOOK_FAILED")).toBe(true);
    expect((result as Error).message).toMatch(/v4 is serving, but the post_deploy hook failed/);
    expect((await appContainers()).map((c) => c.image)).toEqual([images.v4]);
    const [latest] = await store.deployments.listDeployments({ repository: "hooked", environment: "staging" });
    expect(latest).toMatchObject({ version: "v4", status: "success" });
    expect(latest?.outcome).toMatch(/post_deploy hook failed/);
  });
});
