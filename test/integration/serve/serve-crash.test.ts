import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import type { RunRow, StageRow } from "../../../store/index.js";
import { startCli, TEST_OWNER } from "../../helpers/cli.js";
import { API_TOKEN, createOrigin, eventually } from "../../helpers/serve.js";

const engine = new DockerEngine();

async function api<T>(url: string, path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return (text.startsWith("{") ? JSON.parse(text) : text) as T;
}

describe("slipway serve: crash safety", () => {
  const origin = createOrigin({
    "slipway.yml": [
      "name: crashy",
      "builders:",
      "  box: { image: busybox:latest }",
      "stages:",
      "  - name: long",
      "    builder: box",
      '    commands: ["echo line-before-the-crash", "sleep 120"]',
      "",
    ].join("\n"),
  });
  const dir = mkdtempSync(join(tmpdir(), "slipway-crash-"));
  afterAll(() => {
    origin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after kill -9 mid-run, the next start marks the run failed, removes its containers and keeps its log", async () => {
    writeFileSync(join(dir, "slipway.config.yml"), `repositories:\n  - name: crashy\n    url: ${origin.bare}\n`);
    const env = {
      SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
      SLIPWAY_DATA_DIR: join(dir, "data"),
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-crash`,
      SLIPWAY_API_TOKEN: API_TOKEN,
    };
    const first = startCli(["serve"], env);
    await first.waitFor(/listening on (http:\/\/\S+),/);
    const url1 = /listening on (http:\/\/\S+),/.exec(first.output())?.[1] ?? "";
    const { run } = await api<{ run: RunRow }>(url1, "/api/repos/crashy/runs", "POST", { ref: "develop" });
    await eventually(async () => {
      const log = await api<string>(url1, `/api/runs/${run.id}/logs/long`);
      return log.includes("line-before-the-crash") ? true : undefined;
    });
    first.child.kill("SIGKILL");
    await first.done;
    expect((await engine.listResources([`${LABEL.run}=${run.id}`])).some((r) => r.kind === "container")).toBe(true);

    const second = startCli(["serve"], env);
    try {
      await second.waitFor(/listening on (http:\/\/\S+),/);
      expect(second.output()).toMatch(/reconciled 1 run\(s\) interrupted by a restart/);
      const url2 = /listening on (http:\/\/\S+),/.exec(second.output())?.[1] ?? "";
      const detail = await api<{ run: RunRow; stages: StageRow[] }>(url2, `/api/runs/${run.id}`);
      expect(detail.run.status).toBe("failed");
      expect(detail.run.error).toBe("runner restarted");
      expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
      expect(await api<string>(url2, `/api/runs/${run.id}/logs/long`)).toContain("line-before-the-crash");
      expect(await api<string>(url2, `/api/runs/${run.id}/logs/_setup`)).toContain("runner restarted");
      // The queue works again: a retry of the interrupted run is accepted.
      const retry = await api<{ run: RunRow }>(url2, `/api/runs/${run.id}/retry`, "POST", {});
      expect(retry.run.retryOf).toBe(run.id);
      await api(url2, `/api/runs/${retry.run.id}/cancel`, "POST");
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
    }
  });
});
