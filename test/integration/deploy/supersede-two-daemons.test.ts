import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { detectCompose, runCompose } from "../../../compose/index.js";
import { openStore, type QueuedDeploy, type RunRow, type Store } from "../../../store/index.js";
import type { CliRun } from "../../helpers/cli.js";
import { testPostgresUrl } from "../../helpers/postgres.js";
import { createOrigin, eventually } from "../../helpers/serve.js";
import { call, startServe } from "./daemon-env.js";

const IMAGE = `slipway-supersede-test/app-${randomBytes(3).toString("hex")}`;
const KEY = { repository: "shop", environment: "staging" };

/**
 * Superseding across runners (issue 9, item 10): two `slipway serve` processes on one
 * PostgreSQL, one run slot each. While the environment is held (its lock taken, as an explicit
 * deploy holds it), run #2 waits for it on one daemon and run #3 on the other; when the lock
 * frees, #2 is superseded by #3 (its deploy stage skipped) and #3 deploys. The environment is
 * one busybox container, versions are tags of busybox.
 */
describe("superseding waiting deploys across two daemons on one PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-supersede-"));
  const project = `slipway-supersede-test-${randomBytes(3).toString("hex")}`;
  const origin = createOrigin({
    "slipway.yml": [
      "name: shop",
      `image: ${IMAGE}`,
      "environments:",
      "  staging:",
      "    compose: deploy/compose.yml",
      `    project: ${project}`,
      "    strategy: recreate",
      "    update: { monitor: 0s, drain: 0s }",
      "stages:",
      "  - { name: deploy, deploy: staging }",
      "",
    ].join("\n"),
    "deploy/compose.yml": [
      "services:",
      "  app:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose interpolation, not JS
      '    image: "${IMAGE}"',
      '    command: ["sleep", "3600"]',
      "    stop_signal: SIGKILL",
      "",
    ].join("\n"),
  });
  const procs: CliRun[] = [];
  const schema = `slipway_supersede_${randomBytes(5).toString("hex")}`;
  const tags = [1, 2, 3].map((n) => `${IMAGE}:develop-${n}`);
  let admin: pg.Client | undefined;
  let store: Store | undefined;
  afterAll(async () => {
    for (const p of procs) {
      p.child.kill("SIGTERM");
      await p.done;
    }
    const compose = await detectCompose();
    const deployDir = join(origin.work, "deploy");
    await runCompose(
      compose,
      { project, files: [join(deployDir, "compose.yml")], projectDirectory: deployDir },
      { kind: "down", stopTimeoutSeconds: 1 },
      { env: { IMAGE: "busybox:latest" } },
    ).catch(() => {});
    for (const tag of tags) {
      try {
        execFileSync("docker", ["rmi", tag], { stdio: "ignore" });
      } catch {}
    }
    await store?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
    origin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("supersedes run #2 waiting on one daemon by run #3 waiting on the other; #3 deploys", async () => {
    const base = await testPostgresUrl();
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const storeUrl = `${base}${base.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    for (const tag of tags) execFileSync("docker", ["tag", "busybox:latest", tag]);
    const config = `repositories:\n  - name: shop\n    url: ${origin.bare}\n    poll: false\n`;
    const extra = { SLIPWAY_STORE_URL: storeUrl, SLIPWAY_CONCURRENCY: "1" };
    const a = await startServe(join(dir, "a"), "supersede-a", config, extra);
    procs.push(a.proc);
    const b = await startServe(join(dir, "b"), "supersede-b", config, extra);
    procs.push(b.proc);
    store = await openStore(storeUrl, { dataDir: join(dir, "test") });
    const records = store;

    const trigger = async () =>
      (await call<{ run: RunRow }>(a.url, "POST", "/api/repos/shop/runs", { ref: "develop" })).body.run;
    const ended = (id: string) =>
      eventually(
        async () => {
          const run = await records.getRun(id);
          return run && !["queued", "running"].includes(run.status) ? run : undefined;
        },
        120_000,
        `the end of run ${id}`,
      );
    const queued = (runNumber: number) =>
      eventually<QueuedDeploy>(
        async () => (await records.deployQueue.list(KEY)).find((e) => e.runNumber === runNumber),
        60_000,
        `run #${runNumber} in the deploy queue`,
      );

    // Run #1 deploys develop-1: the environment exists.
    const first = await ended((await trigger()).id);
    expect([first.number, first.status, first.error]).toEqual([1, "success", null]);

    // The environment is held, as an explicit deploy holds it. Run #2 waits for it on one
    // daemon (its only slot taken), so run #3 can only be claimed, and wait, on the other.
    expect((await records.deployments.acquireLock(KEY, "slipway-test-operator", 600_000)).acquired).toBe(true);
    const second = await trigger();
    const waiting2 = await queued(2);
    const third = await trigger();
    const waiting3 = await queued(3);
    expect(waiting3.runner).not.toBe(waiting2.runner);
    expect([waiting2.runner, waiting3.runner].sort()).toEqual(["slipway-test-supersede-a", "slipway-test-supersede-b"]);
    expect(await records.deployments.releaseLock(KEY, "slipway-test-operator")).toBe(true);

    const [run2, run3] = [await ended(second.id), await ended(third.id)];
    expect([run2.number, run2.status, run2.owner]).toEqual([2, "success", waiting2.runner]);
    expect([run3.number, run3.status, run3.owner]).toEqual([3, "success", waiting3.runner]);
    const stage = async (run: RunRow) => (await records.listStages(run.id)).find((s) => s.name === "deploy");
    expect(await stage(run2)).toMatchObject({ status: "skipped", detail: "superseded by run #3" });
    expect((await stage(run3))?.status).toBe("success");

    // The history: develop-2 was never deployed; develop-3 was, by #3's runner after #1.
    const history = await records.deployments.listDeployments(KEY);
    expect(history.map((d) => [d.version, d.status, d.trigger, d.runId])).toEqual([
      ["develop-3", "success", "stage", run3.id],
      ["develop-1", "success", "stage", first.id],
    ]);
    expect(history[0]?.previousVersion).toBe("develop-1");
    expect(await records.deployQueue.list(KEY)).toEqual([]);
    const running = execFileSync(
      "docker",
      ["ps", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Image}}"],
      { encoding: "utf8" },
    ).trim();
    expect(running).toBe(`${IMAGE}:develop-3`);
  });
});
