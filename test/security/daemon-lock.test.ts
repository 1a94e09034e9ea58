import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../engine/index.js";
import type { RunRow, StageRow } from "../../store/index.js";
import { acquireRunnerLock } from "../../store/index.js";
import { startCli, TEST_OWNER } from "../helpers/cli.js";
import { testPostgresUrl } from "../helpers/postgres.js";
import { API_TOKEN, createOrigin, eventually } from "../helpers/serve.js";
import { createTestDatabase } from "../integration/store/store-harness.js";

const engine = new DockerEngine();
const LISTENING = /listening on (http:\/\/\S+),/;

async function api<T>(url: string, path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return (text.startsWith("{") ? JSON.parse(text) : text) as T;
}

describe("security: one daemon per data dir (issue 7, probe 5)", () => {
  const origin = createOrigin({
    "slipway.yml": [
      "name: locky",
      "builders:",
      "  box: { image: busybox:latest }",
      "stages:",
      "  - name: work",
      "    builder: box",
      '    commands: ["echo started-$SLIPWAY_REF_NAME", "if [ \\"$SLIPWAY_REF_NAME\\" = develop ]; then sleep 30; else sleep 120; fi", "echo finished"]',
      "",
    ].join("\n"),
  });
  const dir = mkdtempSync(join(tmpdir(), "slipway-lock-"));
  afterAll(() => {
    origin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(
    join(dir, "slipway.config.yml"),
    `repositories:\n  - name: locky\n    url: ${origin.bare}\n    poll: false\n`,
  );
  const env = (extra: Record<string, string> = {}) => ({
    SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
    SLIPWAY_DATA_DIR: join(dir, "data"),
    SLIPWAY_LISTEN: "127.0.0.1:0",
    SLIPWAY_RUNNER_ID: `${TEST_OWNER}-lock`,
    SLIPWAY_API_TOKEN: API_TOKEN,
    ...extra,
  });

  it("a second serve is refused before it touches anything; the first one's run carries on and finishes", async () => {
    const first = startCli(["serve"], env());
    let third: ReturnType<typeof startCli> | undefined;
    try {
      await first.waitFor(LISTENING);
      const url = LISTENING.exec(first.output())?.[1] ?? "";
      const port = new URL(url).port;
      const { run } = await api<{ run: RunRow }>(url, "/api/repos/locky/runs", "POST", { ref: "develop" });
      await eventually(async () => {
        const log = await api<string>(url, `/api/runs/${run.id}/logs/work`);
        return log.includes("started-develop") ? true : undefined;
      });
      const containersBefore = await engine.listResources([`${LABEL.run}=${run.id}`]);
      expect(containersBefore.some((r) => r.kind === "container")).toBe(true);

      // Same data dir, any port (a free one, then the first one's own): refused by the lock.
      const refusals = await Promise.all(
        ["127.0.0.1:0", `127.0.0.1:${port}`].map((listen) => startCli(["serve"], env({ SLIPWAY_LISTEN: listen })).done),
      );
      for (const result of refusals) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("SLIPWAY_E_STORE_LOCKED");
        expect(result.stderr).toContain(`pid ${first.child.pid} on host ${hostname()}`);
        expect(result.stdout).not.toMatch(/reconciled|listening/);
      }
      // Nothing of the first daemon's was touched: its run is running, its container alive.
      const during = await api<{ run: RunRow; stages: StageRow[] }>(url, `/api/runs/${run.id}`);
      expect(during.run.status).toBe("running");
      expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual(containersBefore);
      const done = await eventually(async () => {
        const d = await api<{ run: RunRow; stages: StageRow[] }>(url, `/api/runs/${run.id}`);
        return d.run.status === "running" ? undefined : d;
      }, 120_000);
      expect(done.run.status).toBe("success");
      expect(await api<string>(url, `/api/runs/${run.id}/logs/work`)).toContain("finished");

      // A crash releases the lock (the kernel drops it): the next start takes it and reconciles,
      // closing the interrupted run's running stage too.
      const { run: long } = await api<{ run: RunRow }>(url, "/api/repos/locky/runs", "POST", { ref: "main" });
      await eventually(async () => {
        const log = await api<string>(url, `/api/runs/${long.id}/logs/work`);
        return log.includes("started-main") ? true : undefined;
      });
      first.child.kill("SIGKILL");
      await first.done;
      third = startCli(["serve"], env());
      await third.waitFor(LISTENING);
      expect(third.output()).toMatch(/reconciled 1 run\(s\)/);
      const url3 = LISTENING.exec(third.output())?.[1] ?? "";
      const after = await api<{ run: RunRow; stages: StageRow[] }>(url3, `/api/runs/${long.id}`);
      expect(after.run.status).toBe("failed");
      const stage = after.stages.find((s) => s.name === "work");
      expect(stage?.status).toBe("failed");
      expect(stage?.finishedAt).toBeGreaterThan(0);
      expect(stage?.detail).toMatch(/runner restarted/);
      expect((await api<{ run: RunRow }>(url3, `/api/runs/${run.id}`)).run.status).toBe("success");
    } finally {
      first.child.kill("SIGKILL");
      third?.child.kill("SIGTERM");
      await Promise.all([first.done, third?.done]);
    }
  });

  it("two `slipway serve` processes with one runner id on one PostgreSQL (two data dirs): the second is refused, another runner id is welcome", async () => {
    const db = await createTestDatabase("postgres");
    const runnerId = `${TEST_OWNER}-pgserve-${process.pid}`;
    const onPg = (dataDir: string, id = runnerId) =>
      env({ SLIPWAY_DATA_DIR: join(dir, dataDir), SLIPWAY_STORE_URL: db.url ?? "", SLIPWAY_RUNNER_ID: id });
    const first = startCli(["serve"], onPg("pg-a"));
    let other: ReturnType<typeof startCli> | undefined;
    try {
      await first.waitFor(LISTENING);
      const second = await startCli(["serve"], onPg("pg-b")).done;
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("SLIPWAY_E_STORE_LOCKED");
      expect(second.stderr).toContain(`pid ${first.child.pid} on host ${hostname()}`);
      expect(second.stdout).not.toMatch(/reconciled|listening/);
      // Several runners sharing one database is what PostgreSQL is for: a different id starts.
      other = startCli(["serve"], onPg("pg-b", `${runnerId}-other`));
      await other.waitFor(LISTENING);
    } finally {
      first.child.kill("SIGTERM");
      other?.child.kill("SIGTERM");
      await Promise.all([first.done, other?.done]);
      await db.dispose();
    }
  });

  it("listen: 256.1.1.1:80 is a config error and creates no data dir", async () => {
    const dataDir = join(dir, "never-created-1");
    const cli = startCli(["serve"], env({ SLIPWAY_LISTEN: "256.1.1.1:80", SLIPWAY_DATA_DIR: dataDir }));
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("SLIPWAY_E_CONFIG_BAD_ENV");
    expect(result.stderr).toContain("not an IPv4 address");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("a busy port ends with SLIPWAY_E_SERVE_ADDRESS_IN_USE and creates no data dir", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const dataDir = join(dir, "never-created-2");
    try {
      const cli = startCli(["serve"], env({ SLIPWAY_LISTEN: `127.0.0.1:${port}`, SLIPWAY_DATA_DIR: dataDir }));
      const result = await cli.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("SLIPWAY_E_SERVE_ADDRESS_IN_USE");
      expect(result.stderr).not.toMatch(/EADDRINUSE: address already in use/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("an address that is not this host's ends with SLIPWAY_E_SERVE_LISTEN and creates no data dir", async () => {
    const dataDir = join(dir, "never-created-3");
    // 192.0.2.1 (TEST-NET-1) is never a local address; nothing is sent, bind fails locally.
    const cli = startCli(["serve"], env({ SLIPWAY_LISTEN: "192.0.2.1:8080", SLIPWAY_DATA_DIR: dataDir }));
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("SLIPWAY_E_SERVE_LISTEN");
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("security: the PostgreSQL runner lock", () => {
  it("two daemons with one runner id on one database: the second is refused, naming the holder", async () => {
    // The store suite's PostgreSQL, provisioned (built, started) when this file runs first.
    const url = await testPostgresUrl();
    const runnerId = `${TEST_OWNER}-pglock-${process.pid}`;
    const a = mkdtempSync(join(tmpdir(), "slipway-pglock-a-"));
    const b = mkdtempSync(join(tmpdir(), "slipway-pglock-b-"));
    const first = await acquireRunnerLock(url, { dataDir: a, runnerId });
    try {
      const refused = await acquireRunnerLock(url, { dataDir: b, runnerId }).then(
        () => undefined,
        (err: Error & { code?: string }) => err,
      );
      expect(refused?.code).toBe("SLIPWAY_E_STORE_LOCKED");
      expect(refused?.message).toContain(`pid ${process.pid} on host ${hostname()}`);
      // The refused attempt released the data dir lock it had taken on the way.
      const other = await acquireRunnerLock(url, { dataDir: b, runnerId: `${runnerId}-other` });
      await other.release();
    } finally {
      await first.release();
    }
    const again = await acquireRunnerLock(url, { dataDir: b, runnerId });
    await again.release();
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });
});
