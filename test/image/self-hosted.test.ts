import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentLiveness, DockerEngine, LABEL } from "../../engine/index.js";
import { openStore, type RunRow, type StageRow } from "../../store/index.js";
import { TEST_OWNER } from "../helpers/cli.js";
import { git } from "../helpers/fixture-repo.js";
import { buildSelfHostedImage, docker } from "../helpers/image.js";
import { createOrigin, eventually } from "../helpers/serve.js";

// The self-hosted image as its README documents it: the Docker socket and the data dir
// mounted (the data dir at the same path), a webhook starting a real pipeline that builds in
// a builder container, packages an image and runs an integration stack, all driven from
// inside the container. Then a crash mid-run and a NEW container on the same data dir (what
// an upgrade of the image does): same runner id, the interrupted run reconciled.

const engine = new DockerEngine();
const HOOK_SECRET = "image-hook-secret-0123";
const API_TOKEN = "image-api-token-0123456789abcdef";
const SHIPPED_IMAGE = "slipway-test/shipped";

const shipped = createOrigin({
  "slipway.yml": [
    "name: shipped",
    `image: ${SHIPPED_IMAGE}`,
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: build",
    "    builder: box",
    '    commands: ["mkdir -p out", "echo \\"shipped $SLIPWAY_VERSION\\" > out/index.html"]',
    "    artifacts: [out]",
    "  - name: package",
    "    package: { dockerfile: Dockerfile, context: . }",
    "  - name: integration",
    "    compose:",
    "      file: it/docker-compose.yml",
    // httpd may not listen yet when the tests container starts: retry for a while.
    "      run: { service: tests, command: [sh, -c, 'for i in $(seq 30); do wget -qO- http://app:8080/index.html | grep shipped && exit 0; sleep 1; done; exit 1'] }",
    "",
  ].join("\n"),
  Dockerfile: 'FROM busybox:latest\nCOPY out/ /www/\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  "it/docker-compose.yml": [
    "services:",
    "  app: { image: '${IMAGE}', init: true }",
    "  tests: { image: 'busybox:latest', init: true, depends_on: [app], command: ['true'] }",
    "",
  ].join("\n"),
});
const slow = createOrigin({
  "slipway.yml": [
    "name: slow",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: long",
    "    builder: box",
    '    commands: ["echo started-the-long-stage", "sleep 300"]',
    "",
  ].join("\n"),
});
const dataDir = mkdtempSync(join(tmpdir(), "slipway-image-data-"));
const containers: string[] = [];
let image = "";

beforeAll(async () => {
  image = await buildSelfHostedImage();
  // The daemon runs as the image's `slipway` user (uid 10001). A repository given as a local
  // path must belong to it: git refuses to read another user's repository ("dubious
  // ownership", safe.directory), as it would for any unprivileged reader (README).
  for (const origin of [shipped, slow]) {
    chmodSync(join(origin.bare, ".."), 0o755);
    execFileSync("chown", ["-R", "10001:10001", origin.bare]);
  }
  writeFileSync(
    join(dataDir, "slipway.config.yml"),
    [
      "repositories:",
      `  - { name: shipped, url: ${shipped.bare}, webhook_secret: { env: HOOK_SECRET } }`,
      `  - { name: slow, url: ${slow.bare}, webhook_secret: { env: HOOK_SECRET } }`,
      "",
    ].join("\n"),
  );
}, 1_800_000);

afterAll(async () => {
  for (const name of containers) await docker("rm", "-f", "-v", name).catch(() => "");
  const tags = await docker("images", "--format", "{{.Repository}}:{{.Tag}}", SHIPPED_IMAGE).catch(() => "");
  for (const tag of tags.split("\n").filter(Boolean)) await docker("rmi", "-f", tag).catch(() => "");
  shipped.cleanup();
  slow.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the image the documented way; returns the container name and its API URL. */
async function startContainer(tag: string, extraEnv: string[] = []): Promise<{ name: string; url: string }> {
  const name = `slipway-test-image-${tag}-${process.pid}`;
  const live = currentLiveness();
  const repos = [shipped, slow].flatMap((o) => ["-v", `${join(o.bare, "..")}:${join(o.bare, "..")}:ro`]);
  await docker(
    "run",
    "-d",
    "--name",
    name,
    // Owned by this test process, so the global teardown reports the container if it leaks.
    ...["--label", `${LABEL.owner}=${TEST_OWNER}-image`, "--label", `${LABEL.host}=${live.host}`],
    ...["--label", `${LABEL.pid}=${live.pid}`, "--label", `${LABEL.pidStart}=${live.pidStart}`],
    ...["-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", `${dataDir}:${dataDir}`, ...repos],
    ...["-e", `SLIPWAY_DATA_DIR=${dataDir}`, "-e", `SLIPWAY_CONFIG=${join(dataDir, "slipway.config.yml")}`],
    ...["-e", `HOOK_SECRET=${HOOK_SECRET}`, "-e", `SLIPWAY_API_TOKEN=${API_TOKEN}`],
    ...extraEnv.flatMap((e) => ["-e", e]),
    ...["-p", "127.0.0.1::8080", image],
  );
  containers.push(name);
  const port = (await docker("port", name, "8080/tcp")).split("\n")[0]?.split(":").pop();
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      const state = await docker("inspect", "--format", "{{.State.Status}}", name);
      if (state !== "running") throw new Error(`${name} is ${state}:\n${await docker("logs", name)}`);
      // A timeout per request: one that arrives while the daemon is starting may never be answered.
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    120_000,
    `${name} answering /healthz`,
  );
  return { name, url };
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return (text.startsWith("{") ? JSON.parse(text) : text) as T;
}

async function hook(url: string, repo: string, sha: string): Promise<RunRow> {
  const res = await fetch(`${url}/api/hooks/${repo}`, {
    method: "POST",
    headers: { authorization: `Bearer ${HOOK_SECRET}`, "content-type": "application/json" },
    body: JSON.stringify({ ref: "refs/heads/develop", sha }),
  });
  const body = (await res.json()) as { run: RunRow };
  expect(res.status).toBe(201);
  return body.run;
}

const headOf = (bare: string) => readFileSync(join(bare, "refs", "heads", "develop"), "utf8").trim();

describe("the self-hosted image", () => {
  let first: { name: string; url: string };
  let second: { name: string; url: string };
  let runnerId = "";

  it("answers /healthz, reports healthy, and runs the daemon unprivileged", async () => {
    first = await startContainer("a");
    const health = await get<{ status: string; runner: string }>(`${first.url}/healthz`);
    expect(health.status).toBe("ok");
    // The default runner id was written to the data dir on this first start.
    runnerId = readFileSync(join(dataDir, "runner-id"), "utf8").trim();
    expect(health.runner).toBe(runnerId);
    await eventually(
      async () =>
        (await docker("inspect", "--format", "{{.State.Health.Status}}", first.name)) === "healthy" ? true : undefined,
      90_000,
      "the HEALTHCHECK to report healthy",
    );
    const top = await docker("top", first.name, "-eo", "pid,uid,args");
    // The node process itself (tini, its parent, stays root to reap and forward signals).
    const node = top.split("\n").find((l) => /^\s*\d+\s+\d+\s+node\s.*slipway\.js serve/.test(l));
    if (statSync("/var/run/docker.sock").gid !== 0) expect(node?.trim().split(/\s+/)[1]).toBe("10001");
  });

  it("a webhook starts a run that builds, packages and runs an integration stack", async () => {
    const run = await hook(first.url, "shipped", headOf(shipped.bare));
    const detail = await eventually(
      async () => {
        const d = await get<{ run: RunRow; stages: StageRow[] }>(`${first.url}/api/runs/${run.id}`);
        return ["queued", "running"].includes(d.run.status) ? undefined : d;
      },
      400_000,
      "the shipped run to finish",
    );
    if (detail.run.status !== "success") {
      const logs = await Promise.all(
        ["_setup", ...detail.stages.map((s) => s.name)].map((n) =>
          get<string>(`${first.url}/api/runs/${run.id}/logs/${n}`),
        ),
      );
      expect.fail(`run ${detail.run.status}: ${detail.run.error}\n${logs.join("\n")}`);
    }
    expect(detail.stages.map((s) => [s.name, s.status])).toEqual([
      ["build", "success"],
      ["package", "success"],
      ["integration", "success"],
    ]);
    expect(await docker("images", "-q", `${SHIPPED_IMAGE}:${detail.run.version}`)).not.toBe("");
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
  });

  it("after a crash mid-run, a new container on the same data dir is the same runner and reconciles the run", async () => {
    const run = await hook(first.url, "slow", headOf(slow.bare));
    await eventually(
      async () =>
        (await get<string>(`${first.url}/api/runs/${run.id}/logs/long`)).includes("started-the-long-stage")
          ? true
          : undefined,
      120_000,
      "the long stage to start",
    );
    // A crash (or `docker rm -f` before an upgrade): the run's step container survives it.
    await docker("rm", "-f", "-v", first.name);
    expect((await engine.listResources([`${LABEL.run}=${run.id}`])).some((r) => r.kind === "container")).toBe(true);

    second = await startContainer("b");
    const health = await get<{ runner: string }>(`${second.url}/healthz`);
    expect(health.runner).toBe(runnerId);
    const detail = await get<{ run: RunRow }>(`${second.url}/api/runs/${run.id}`);
    expect(detail.run.status).toBe("failed");
    expect(detail.run.error).toBe("runner restarted");
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
    expect(await engine.listResources([`${LABEL.owner}=${runnerId}`])).toEqual([]);
  });

  it("`docker stop` is a graceful shutdown: exit 0 within the engine's timeout, the cut run cleaned up and recorded interrupted", async () => {
    // An idle daemon stops at once and cleanly.
    await docker("stop", "-t", "60", second.name);
    expect(await docker("inspect", "--format", "{{.State.ExitCode}}", second.name)).toBe("0");

    // A new commit: the crashed run's commit would be a duplicate delivery (200, no new run).
    // (The bare repository belongs to the daemon's user: git refuses root's push into it.)
    git(slow.work, "commit", "-q", "--allow-empty", "-m", "again");
    execFileSync("chown", ["-R", "0:0", slow.bare]);
    git(slow.work, "push", "-q", "origin", "develop");
    execFileSync("chown", ["-R", "10001:10001", slow.bare]);
    const third = await startContainer("c", ["SLIPWAY_SHUTDOWN_GRACE=3s"]);
    const run = await hook(third.url, "slow", headOf(slow.bare));
    await eventually(
      async () =>
        (await get<string>(`${third.url}/api/runs/${run.id}/logs/long`)).includes("started-the-long-stage")
          ? true
          : undefined,
      120_000,
      "the long stage to start",
    );
    // SIGTERM through tini: the daemon gives the `sleep 300` run its 3 s, cancels it with its
    // cleanup, records it and exits before the engine's 60 s would end in SIGKILL (137).
    await docker("stop", "-t", "60", third.name);
    expect(await docker("inspect", "--format", "{{.State.ExitCode}}", third.name)).toBe("0");
    const logs = await docker("logs", third.name);
    expect(logs).toContain("SIGTERM: stopping; running runs get up to 3s to finish");
    expect(logs).toContain("slipway serve: stopped");
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
    const store = await openStore(undefined, { dataDir, migrate: false });
    try {
      const row = await store.getRun(run.id);
      expect(row?.status).toBe("failed");
      expect(row?.error).toMatch(/^interrupted/);
    } finally {
      await store.close();
    }
  });
});
