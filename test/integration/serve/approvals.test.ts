import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localTime } from "../../../pipelines/index.js";
import type { ApprovalRow, AuditEventRow, RunRow, StageRow } from "../../../store/index.js";
import { type CliRun, runCli, startCli, TEST_OWNER } from "../../helpers/cli.js";
import { gatedRepository } from "../../helpers/gated.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon } from "../../helpers/serve.js";

/**
 * Approvals and deploy windows against the real daemon: `slipway serve` as a child process
 * (killed and started again), the real CLI verbs, the real engine deploying a busybox stack.
 */

const RELEASE_TOKEN = "release-manager-token-0123456789";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

type Detail = { run: RunRow; stages: StageRow[]; approvals: ApprovalRow[] };

/** A repository whose develop runs build, then deploy to `production` with the given extra keys. */
function gatedOrigin(project: string, envKeys: string[]) {
  return createOrigin(gatedRepository(project, envKeys));
}

function projectContainers(project: string): string[] {
  const out = execFileSync(
    "docker",
    ["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`, "--filter", "status=running"],
    { encoding: "utf8" },
  );
  return out.split("\n").filter(Boolean);
}

function removeProject(project: string): void {
  const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
  execFileSync(
    "sh",
    ["-c", `docker network ls -q --filter label=com.docker.compose.project=${project} | xargs -r docker network rm`],
    {
      stdio: "ignore",
    },
  );
}

async function api<T>(url: string, method: string, path: string, body?: unknown, token = API_TOKEN) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitForStatus(url: string, id: string, status: RunRow["status"], timeoutMs = 180_000): Promise<Detail> {
  return eventually(
    async () => {
      const { body } = await api<Detail>(url, "GET", `/api/runs/${id}`);
      if (body.run.status === status) return body;
      if (["success", "failed", "cancelled"].includes(body.run.status) && body.run.status !== status) {
        throw new Error(`run ${id} ended ${body.run.status} (${body.run.error}), expected ${status}`);
      }
      return undefined;
    },
    timeoutMs,
    `run ${id} to be ${status}`,
  );
}

/** Collects `event: run` messages of /api/events until aborted. */
function watchEvents(url: string) {
  const seen: { run: RunRow; stages: StageRow[] }[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${url}/api/events`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .find((l) => l.startsWith("data: "));
        if (data) seen.push(JSON.parse(data.slice(6)));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    }
  })().catch(() => {});
  return { seen, stop: () => controller.abort(), done };
}

const listening = /listening on (http:\/\/\S+),/;
const urlOf = (cli: CliRun) => listening.exec(cli.output())?.[1] ?? "";

describe("approval: manual, against slipway serve", () => {
  const project = `slipway-appr-${process.pid}`;
  const origin = gatedOrigin(project, ["approval: manual"]);
  const plain = createOrigin({
    "slipway.yml": [
      "name: plain",
      "builders:",
      "  box: { image: busybox:latest }",
      "stages:",
      "  - name: build",
      "    builder: box",
      '    commands: ["echo plain"]',
      "",
    ].join("\n"),
  });
  const dir = mkdtempSync(join(tmpdir(), "slipway-approvals-"));
  afterAll(() => {
    removeProject(project);
    origin.cleanup();
    plain.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("waits visibly without a slot, survives a kill -9 and a restart, then deploys once approved", async () => {
    writeFileSync(
      join(dir, "slipway.config.yml"),
      [
        "concurrency: 1",
        "api_tokens:",
        "  - name: release-manager",
        `    token_sha256: ${sha256(RELEASE_TOKEN)}`,
        "repositories:",
        `  - { name: gated, url: ${origin.bare} }`,
        `  - { name: plain, url: ${plain.bare} }`,
        "",
      ].join("\n"),
    );
    const env = {
      SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
      SLIPWAY_DATA_DIR: join(dir, "data"),
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-approvals`,
      SLIPWAY_API_TOKEN: API_TOKEN,
    };
    const first = startCli(["serve"], env);
    let second: CliRun | undefined;
    try {
      await first.waitFor(listening);
      const url1 = urlOf(first);
      const events = watchEvents(url1);
      const { body: created } = await api<{ run: RunRow }>(url1, "POST", "/api/repos/gated/runs", { ref: "develop" });
      const runId = created.run.id;
      const parked = await waitForStatus(url1, runId, "waiting");
      expect(parked.run.resumeFromStage).toBe("deploy-prod");
      expect(parked.run.finishedAt).toBeNull();
      expect(parked.stages.map((s) => [s.name, s.status])).toEqual([
        ["build", "success"],
        ["deploy-prod", "waiting"],
      ]);
      expect(parked.stages[1]?.detail).toMatch(/waiting for approval to deploy to production/);
      expect(parked.approvals).toMatchObject([
        { stage: "deploy-prod", environment: "production", state: "pending", waitingFor: "approval", decidedBy: null },
      ]);
      expect(projectContainers(project)).toEqual([]);
      await eventually(
        async () => (events.seen.some((e) => e.run.id === runId && e.run.status === "waiting") ? true : undefined),
        10_000,
        "the waiting event",
      );
      events.stop();

      // With concurrency 1, another run still goes through: the waiting one holds no slot.
      const { body: other } = await api<{ run: RunRow }>(url1, "POST", "/api/repos/plain/runs", { ref: "develop" });
      expect((await waitForStatus(url1, other.run.id, "success")).run.status).toBe("success");

      first.child.kill("SIGKILL");
      await first.done;

      second = startCli(["serve"], env);
      await second.waitFor(listening);
      expect(second.output()).not.toMatch(/reconciled/);
      const url2 = urlOf(second);
      // Still waiting after the restart (and after a few sweeps of the new daemon).
      await new Promise((r) => setTimeout(r, 2500));
      const after = await api<Detail>(url2, "GET", `/api/runs/${runId}`);
      expect(after.body.run.status).toBe("waiting");
      expect(after.body.approvals[0]?.state).toBe("pending");

      const approved = await runCli(["approve", runId, "--comment", "ship it"], {
        SLIPWAY_URL: url2,
        SLIPWAY_TOKEN: RELEASE_TOKEN,
      });
      expect(approved.stderr).toBe("");
      expect(approved.code).toBe(0);
      expect(approved.stdout).toMatch(new RegExp(`approved run ${runId} .*stage deploy-prod → production.*it resumes`));
      const done = await waitForStatus(url2, runId, "success");
      expect(done.stages.map((s) => [s.name, s.status])).toEqual([
        ["build", "success"],
        ["deploy-prod", "success"],
      ]);
      expect(done.approvals[0]).toMatchObject({
        state: "approved",
        decidedBy: "release-manager",
        comment: "ship it",
        waitingFor: null,
      });
      expect(done.approvals[0]?.decidedAt).toBeGreaterThanOrEqual(parked.approvals[0]?.requestedAt ?? Infinity);
      expect(projectContainers(project)).toHaveLength(1);
      const log = await fetch(`${url2}/api/runs/${runId}/logs/deploy-prod`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      }).then((r) => r.text());
      expect(log).toMatch(/approved by release-manager/);
      const { body: audit } = await api<{ events: AuditEventRow[] }>(url2, "GET", "/api/audit");
      expect(audit.events.find((e) => e.action === "approve")).toMatchObject({
        actor: "release-manager",
        target: runId,
        detail: { stage: "deploy-prod", environment: "production", comment: "ship it" },
      });
      // A second approval of a run that is no longer waiting is a conflict, in the API's error shape.
      const again = await api<{ error: string; message: string }>(url2, "POST", `/api/runs/${runId}/approve`, {});
      expect(again.status).toBe(409);
      expect(again.body.error).toBe("SLIPWAY_E_API_CONFLICT");
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGTERM");
      await second?.done;
    }
  });
});

describe("rejection, timeout and windows (in-process daemon)", () => {
  const project = `slipway-appr-b-${process.pid}`;
  afterAll(() => removeProject(project));

  async function daemonFor(envKeys: string[]) {
    const origin = gatedOrigin(project, envKeys);
    const daemon = await startTestDaemon(`repositories:\n  - { name: gated, url: ${origin.bare} }\n`);
    return {
      daemon,
      async [Symbol.asyncDispose]() {
        await daemon.stop();
        origin.cleanup();
      },
    };
  }

  it("a rejection fails the run with the reason, who rejected it, and deploys nothing", async () => {
    await using t = await daemonFor(["approval: manual"]);
    const { daemon } = t;
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" });
    await waitForStatus(daemon.url, body.run.id, "waiting");
    const rejected = await runCli(["reject", body.run.id, "--comment", "not on a Friday"], {
      SLIPWAY_URL: daemon.url,
      SLIPWAY_TOKEN: API_TOKEN,
    });
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toMatch(/rejected run .*the run failed/);
    const detail = (await daemon.api<Detail>("GET", `/api/runs/${body.run.id}`)).body;
    expect(detail.run.status).toBe("failed");
    expect(detail.run.error).toBe(
      "stage deploy-prod failed: SLIPWAY_E_APPROVAL_REJECTED: deploy to production rejected by $SLIPWAY_API_TOKEN: not on a Friday",
    );
    expect(detail.run.finishedAt).not.toBeNull();
    expect(detail.stages.find((s) => s.name === "deploy-prod")?.status).toBe("failed");
    expect(detail.approvals[0]).toMatchObject({ state: "rejected", decidedBy: "$SLIPWAY_API_TOKEN", waitingFor: null });
    expect(projectContainers(project)).toEqual([]);
    // Unknown body keys are refused like everywhere in the API.
    const bad = await daemon.api<{ error: string }>("POST", `/api/runs/${body.run.id}/reject`, { why: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("SLIPWAY_E_API_BAD_BODY");
    const anonymous = await daemon.api<{ error: string }>("POST", `/api/runs/${body.run.id}/approve`, {}, null);
    expect(anonymous.status).toBe(401);
  });

  it("an approval timeout rejects the run", async () => {
    await using t = await daemonFor(["approval: manual", "approval_timeout: 2s"]);
    const { daemon } = t;
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" });
    const parked = await waitForStatus(daemon.url, body.run.id, "waiting");
    expect(parked.approvals[0]?.expiresAt).toBe((parked.approvals[0]?.requestedAt ?? 0) + 2000);
    const detail = await waitForStatus(daemon.url, body.run.id, "failed", 30_000);
    expect(detail.run.error).toMatch(
      /SLIPWAY_E_APPROVAL_TIMEOUT: deploy to production rejected: nobody approved it after 2s/,
    );
    expect(detail.approvals[0]).toMatchObject({ state: "rejected", decidedBy: "approval_timeout" });
    const { body: audit } = await daemon.api<{ events: AuditEventRow[] }>("GET", "/api/audit");
    expect(audit.events.some((e) => e.action === "approval-timeout" && e.target === body.run.id)).toBe(true);
    expect(projectContainers(project)).toEqual([]);
  });

  it("outside the window a deploy waits; an override deploys at once (audited); the other resumes when it opens", async () => {
    // A window opening at the next minute but one, open to midnight; near midnight UTC the
    // window is in UTC+12 instead (Etc/GMT-12), so it still opens later the same local day.
    const zone = localTime("UTC", Date.now()).minute + 2 < 24 * 60 - 5 ? "UTC" : "Etc/GMT-12";
    const start = localTime(zone, Date.now()).minute + 2;
    const hhmm = `${String(Math.floor(start / 60)).padStart(2, "0")}:${String(start % 60).padStart(2, "0")}`;
    await using t = await daemonFor([`window: { timezone: ${zone}, hours: "${hhmm}-24:00" }`]);
    const { daemon } = t;
    const first = (await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" })).body.run;
    const parked = await waitForStatus(daemon.url, first.id, "waiting");
    expect(parked.approvals[0]).toMatchObject({ state: "not_required", waitingFor: "window" });
    expect(parked.stages.find((s) => s.name === "deploy-prod")?.detail).toMatch(
      /outside the deploy window of production \(every day .*\); it opens at/,
    );
    const opensAt = parked.approvals[0]?.windowOpensAt ?? 0;
    expect(localTime(zone, opensAt).minute).toBe(start);
    const closed = await daemon.api<{ error: string }>("POST", `/api/runs/${first.id}/approve`, {});
    expect(closed.status).toBe(409);
    expect(closed.body.error).toBe("SLIPWAY_E_API_WINDOW_CLOSED");
    const forced = await runCli(["approve", first.id, "--override-window", "-m", "hotfix"], {
      SLIPWAY_URL: daemon.url,
      SLIPWAY_TOKEN: API_TOKEN,
    });
    expect(forced.code).toBe(0);
    const deployed = await waitForStatus(daemon.url, first.id, "success");
    expect(deployed.approvals[0]).toMatchObject({ windowOverrideBy: "$SLIPWAY_API_TOKEN" });
    expect(Date.now()).toBeLessThan(opensAt);
    const { body: audit } = await daemon.api<{ events: AuditEventRow[] }>("GET", "/api/audit");
    expect(audit.events.find((e) => e.action === "override-window")).toMatchObject({
      target: first.id,
      detail: { environment: "production", comment: "hotfix" },
    });

    // The second run waits for the window and deploys by itself once it opens.
    const second = (await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" })).body.run;
    await waitForStatus(daemon.url, second.id, "waiting");
    const resumed = await waitForStatus(daemon.url, second.id, "success", 240_000);
    expect(resumed.run.finishedAt ?? 0).toBeGreaterThanOrEqual(opensAt);
    expect(resumed.approvals[0]).toMatchObject({ windowOverrideBy: null, waitingFor: null });
  });
});
