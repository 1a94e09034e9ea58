import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../config/index.js";
import { type RunningDaemon, startDaemon } from "../../runner/serve/daemon.js";
import type { RunRow, StageRow } from "../../store/index.js";
import { TEST_OWNER } from "./cli.js";
import { git } from "./fixture-repo.js";

export const API_TOKEN = "test-token-0123456789abcdef";
export const HOOK_SECRET = "hook-secret-abcdef";

/** A bare "origin" repository plus a working clone to push from, with git-flow branches. */
export function createOrigin(files: Record<string, string>): { bare: string; work: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), "slipway-origin-"));
  const bare = join(root, "origin.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "init", "-q", "-b", "main", work);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(work, name, ".."), { recursive: true });
    writeFileSync(join(work, name), body);
  }
  git(work, "add", "-A");
  git(work, "commit", "-qm", "initial");
  git(work, "remote", "add", "origin", bare);
  git(work, "push", "-q", "origin", "main");
  git(work, "checkout", "-qb", "develop");
  git(work, "push", "-q", "origin", "develop");
  return { bare, work, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Installs a post-receive hook in the bare repository that calls the webhook with curl. */
export function installPostReceive(bare: string, url: string, secret = HOOK_SECRET): void {
  const hook = join(bare, "hooks", "post-receive");
  writeFileSync(
    hook,
    [
      "#!/bin/sh",
      "while read old new ref; do",
      `  curl -sS -o /dev/null -X POST -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' \\`,
      `    --data "{\\"ref\\":\\"$ref\\",\\"sha\\":\\"$new\\"}" '${url}'`,
      "done",
      "",
    ].join("\n"),
  );
  chmodSync(hook, 0o755);
}

export interface TestDaemon extends RunningDaemon {
  dataDir: string;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T }>;
  waitForRun(id: string, timeoutMs?: number): Promise<{ run: RunRow; stages: StageRow[] }>;
  stop(): Promise<void>;
}

/** Starts `slipway serve` in process on a free port, with a private data dir and SQLite store. */
export async function startTestDaemon(configYaml: string, env: Record<string, string> = {}): Promise<TestDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-serve-"));
  writeFileSync(join(dataDir, "slipway.config.yml"), configYaml);
  const config = loadConfig({
    file: join(dataDir, "slipway.config.yml"),
    cwd: dataDir,
    env: {
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_DATA_DIR: join(dataDir, "data"),
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-serve`,
      SLIPWAY_API_TOKEN: API_TOKEN,
      HOOK_SECRET,
      ...env,
    },
  });
  const daemon = await startDaemon(config);
  const api = async <T>(method: string, path: string, body?: unknown, token: string | null = API_TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${daemon.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed as T };
  };
  return {
    ...daemon,
    dataDir,
    api,
    async waitForRun(id, timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await api<{ run: RunRow; stages: StageRow[] }>("GET", `/api/runs/${id}`);
        if (body.run && !["queued", "running"].includes(body.run.status)) return body;
        if (Date.now() > deadline) throw new Error(`run ${id} still ${body.run?.status} after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async stop() {
      await daemon.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `fn` returns a value (not undefined). */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
