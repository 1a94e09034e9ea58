import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryAttemptJson, DeliveryJson, WebhookJson } from "../../../api-schema/index.js";
import { type JsonPayload, type SlackPayload, verifySignature } from "../../../runner/notify/index.js";
import type { RunRow } from "../../../store/index.js";
import { startCli, TEST_OWNER } from "../../helpers/cli.js";
import { git } from "../../helpers/fixture-repo.js";
import { gatedRepository } from "../../helpers/gated.js";
import { type Received, type Receiver, startReceiver } from "../../helpers/receiver.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

/**
 * Outbound webhooks end to end: the real daemon runs real pipelines (busybox) and delivers
 * their events to real HTTP receivers on 127.0.0.1, signed; retries, attempts, the API,
 * redelivery, a restart, and the secret staying out of logs and answers.
 */

const SIGNING = "notify-signing-secret-4f9d2c";
const SLACK_TOKEN = "T000/B000/slack-url-token-8e1a";

const pipeline = (command: string) =>
  [
    "name: notify",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: build",
    "    builder: box",
    `    commands: [${JSON.stringify(command)}]`,
    "",
  ].join("\n");

function verified(r: Received): boolean {
  return (
    verifySignature({
      secret: SIGNING,
      body: r.body,
      signature: r.headers["x-slipway-signature"] as string | undefined,
      timestamp: r.headers["x-slipway-timestamp"] as string | undefined,
    }).ok === true
  );
}

const events = (r: Receiver) => r.received.map((x) => JSON.parse(x.body) as JsonPayload);

describe("slipway serve: outbound webhooks", () => {
  let origin: ReturnType<typeof createOrigin>;
  let ops: Receiver;
  let chat: Receiver;
  let stuck: Receiver;
  let daemon: TestDaemon;

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": pipeline("echo notify me") });
    git(origin.work, "checkout", "-qb", "feature/flaky");
    writeFileSync(join(origin.work, "slipway.yml"), pipeline("echo broken; exit 3"));
    git(origin.work, "commit", "-qam", "break it");
    git(origin.work, "push", "-q", "origin", "feature/flaky");
    ops = await startReceiver();
    chat = await startReceiver();
    // Holds every request for 20 s: if notifying were part of running, runs would wait on it.
    stuck = await startReceiver();
    for (let i = 0; i < 20; i++) stuck.answers.push({ status: 204, delayMs: 20_000 });
    daemon = await startTestDaemon(
      [
        "notifications:",
        "  - name: ops",
        `    url: ${ops.url}`,
        "    secret: {env: OPS_SIGNING}",
        "    events: [run.started, run.succeeded, run.failed, run.fixed]",
        "    backoff: 100ms",
        "  - name: stuck",
        `    url: ${stuck.url}`,
        "    events: [run.started, run.succeeded]",
        "    timeout: 30s",
        "repositories:",
        "  - name: notify",
        `    url: ${origin.bare}`,
        "    notifications:",
        "      - name: chat",
        "        url: {env: CHAT_URL}",
        "        format: slack",
        "        events: [run.failed]",
        "",
      ].join("\n"),
      { OPS_SIGNING: SIGNING, CHAT_URL: `${chat.url}/${SLACK_TOKEN}` },
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    await ops?.close();
    await chat?.close();
    await stuck?.close();
    origin?.cleanup();
  });

  const trigger = async (ref: string) => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/notify/runs", { ref });
    return daemon.waitForRun(body.run.id);
  };

  it("delivers a run's started and succeeded events to the root webhook, signed", async () => {
    const { run } = await trigger("develop");
    expect(run.status).toBe("success");
    await eventually(async () => (ops.received.length >= 2 ? true : undefined), 30_000, "two deliveries");
    expect(events(ops).map((e) => [e.event, e.run?.id])).toEqual([
      ["run.started", run.id],
      ["run.succeeded", run.id],
    ]);
    const succeeded = events(ops)[1] as JsonPayload;
    expect(succeeded).toMatchObject({ version: 1, repository: "notify", runner: `${TEST_OWNER}-serve` });
    expect(succeeded.run).toMatchObject({ number: run.number, status: "success", ref: "refs/heads/develop" });
    expect(succeeded.run?.stages.map((s) => [s.name, s.status])).toEqual([["build", "success"]]);
    for (const r of ops.received) {
      expect(verified(r)).toBe(true);
      expect(r.headers["user-agent"]).toBe("Slipway-Webhook/1");
    }
    // Tampering is detected: the signature covers the exact bytes.
    const first = ops.received[0] as Received;
    expect(verified({ ...first, body: first.body.replace("run.started", "run.succeeded") })).toBe(false);
    // The chat webhook hears run.failed only, and only this repository's.
    expect(chat.received).toHaveLength(0);
    // The stuck receiver got run.started long ago and has not answered: the run did not wait.
    expect(stuck.received.length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - (stuck.received[0]?.at ?? 0)).toBeLessThan(20_000);
    const { body } = await daemon.api<{ deliveries: DeliveryJson[] }>(
      "GET",
      "/api/notifications/deliveries?webhook=stuck",
    );
    expect(body.deliveries.every((d) => d.status === "pending" && d.attempts === 0)).toBe(true);
  });

  it("a failure goes to both webhooks (Slack format for chat), and the next success on that ref is run.fixed", async () => {
    ops.received.length = 0;
    const { run } = await trigger("feature/flaky");
    expect(run.status).toBe("failed");
    await eventually(async () => (chat.received.length >= 1 && ops.received.length >= 2 ? true : undefined), 30_000);
    expect(events(ops).map((e) => e.event)).toEqual(["run.started", "run.failed"]);
    expect(events(ops)[1]?.run?.error).toMatch(/stage build failed/);
    const slack = JSON.parse(chat.received[0]?.body ?? "{}") as SlackPayload;
    expect(Object.keys(slack)).toEqual(["text", "blocks"]);
    expect(slack.text).toMatch(/^:x: \*notify\* run #\d+ failed on `feature\/flaky`/);
    expect(chat.received[0]?.path).toBe(`/hook/${SLACK_TOKEN}`);
    // No secret on the chat webhook: unsigned, but still timestamped.
    expect(chat.received[0]?.headers["x-slipway-signature"]).toBeUndefined();

    writeFileSync(join(origin.work, "slipway.yml"), pipeline("echo fixed"));
    git(origin.work, "commit", "-qam", "fix it");
    git(origin.work, "push", "-q", "origin", "feature/flaky");
    ops.received.length = 0;
    const fixed = await trigger("feature/flaky");
    expect(fixed.run.status).toBe("success");
    await eventually(async () => (ops.received.length >= 3 ? true : undefined), 30_000, "started, succeeded, fixed");
    expect(events(ops).map((e) => e.event)).toEqual(["run.started", "run.succeeded", "run.fixed"]);
    expect(new Set(events(ops).map((e) => e.id)).size).toBe(3);
  });

  it("records three attempts for a receiver that fails twice, and the API shows them", async () => {
    ops.received.length = 0;
    ops.answers.push({ status: 500 }, { status: 502 });
    const { run } = await trigger("develop");
    const delivered = await eventually(async () => {
      const { body } = await daemon.api<{ deliveries: DeliveryJson[] }>(
        "GET",
        `/api/notifications/deliveries?webhook=ops&run=${run.id}`,
      );
      const started = body.deliveries.find((d) => d.event === "run.started");
      return started?.status === "delivered" ? started : undefined;
    }, 30_000);
    expect(delivered).toMatchObject({ attempts: 3, lastStatusCode: 204, maxAttempts: 5 });
    const { status, body } = await daemon.api<{
      delivery: DeliveryJson;
      body: string;
      attempts: DeliveryAttemptJson[];
    }>("GET", `/api/notifications/deliveries/${delivered.id}`, undefined, null);
    expect(status).toBe(200);
    expect(body.attempts.map((a) => [a.seq, a.statusCode, a.error])).toEqual([
      [1, 500, "SLIPWAY_E_NOTIFY_REFUSED: HTTP 500"],
      [2, 502, "SLIPWAY_E_NOTIFY_REFUSED: HTTP 502"],
      [3, 204, null],
    ]);
    expect(body.attempts.every((a) => a.durationMs >= 0)).toBe(true);
    expect(JSON.parse(body.body)).toMatchObject({ event: "run.started", run: { id: run.id } });
    // Every attempt of one delivery sends the same bytes, signed each time.
    const sent = ops.received.filter((r) => r.headers["x-slipway-delivery"] === delivered.id);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    expect(sent.every(verified)).toBe(true);
  });

  it("redelivers with a token (same event id, new delivery), audited; refuses without one", async () => {
    const { body: list } = await daemon.api<{ deliveries: DeliveryJson[] }>(
      "GET",
      "/api/notifications/deliveries?webhook=chat&limit=1",
    );
    const original = list.deliveries[0] as DeliveryJson;
    const anonymous = await daemon.api<{ error: string }>(
      "POST",
      `/api/notifications/deliveries/${original.id}/redeliver`,
      undefined,
      null,
    );
    expect(anonymous).toMatchObject({ status: 401, body: { error: "SLIPWAY_E_API_UNAUTHORIZED" } });
    const before = chat.received.length;
    const { status, body } = await daemon.api<{ delivery: DeliveryJson }>(
      "POST",
      `/api/notifications/deliveries/${original.id}/redeliver`,
    );
    expect(status).toBe(201);
    expect(body.delivery).toMatchObject({ eventId: original.eventId, redeliveryOf: original.id, webhook: "chat" });
    expect(body.delivery.id).not.toBe(original.id);
    await eventually(async () => (chat.received.length > before ? true : undefined), 15_000);
    const again = chat.received.at(-1) as Received;
    expect(again.headers["x-slipway-delivery"]).toBe(body.delivery.id);
    expect(again.body).toBe(chat.received[0]?.body);
    const { body: audit } = await daemon.api<{ events: { action: string; target: string; actor: string }[] }>(
      "GET",
      "/api/audit",
    );
    expect(audit.events[0]).toMatchObject({ action: "redeliver", target: original.id, actor: "$SLIPWAY_API_TOKEN" });
    const missing = await daemon.api<{ error: string }>("POST", "/api/notifications/deliveries/NOPE/redeliver");
    expect(missing).toMatchObject({ status: 404, body: { error: "SLIPWAY_E_API_NOT_FOUND" } });
    const badQuery = await daemon.api<{ error: string }>("GET", "/api/notifications/deliveries?status=lost");
    expect(badQuery).toMatchObject({ status: 400, body: { error: "SLIPWAY_E_API_BAD_QUERY" } });
  });

  it("never shows the signing secret or a secret URL in the API", async () => {
    const { body: hooks } = await daemon.api<{ webhooks: WebhookJson[] }>("GET", "/api/notifications/webhooks");
    expect(hooks.webhooks.map((w) => [w.name, w.repository, w.format, w.signed])).toEqual([
      ["ops", null, "json", true],
      ["stuck", null, "json", false],
      ["chat", "notify", "slack", false],
    ]);
    const answers = await Promise.all(
      [
        "/api/notifications/webhooks",
        "/api/notifications/deliveries?limit=500",
        "/api/audit",
        "/api/openapi.json",
        "/api/repos",
      ].map((p) => daemon.api("GET", p).then((r) => JSON.stringify(r.body))),
    );
    const { body: list } = await daemon.api<{ deliveries: DeliveryJson[] }>("GET", "/api/notifications/deliveries");
    for (const d of list.deliveries) {
      answers.push(JSON.stringify((await daemon.api("GET", `/api/notifications/deliveries/${d.id}`)).body));
    }
    for (const text of answers) {
      expect(text).not.toContain(SIGNING);
      expect(text).not.toContain(SLACK_TOKEN);
    }
  });
});

describe("slipway serve (the CLI): a pending delivery survives a restart", () => {
  const origin = createOrigin({ "slipway.yml": pipeline("echo restart") });
  const dir = mkdtempSync(join(tmpdir(), "slipway-notify-restart-"));
  let receiver: Receiver;
  afterAll(async () => {
    await receiver?.close();
    origin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("retries after the restart what failed before it, and keeps the secret out of the output", async () => {
    receiver = await startReceiver();
    writeFileSync(
      join(dir, "slipway.config.yml"),
      [
        "notifications:",
        "  - name: ops",
        `    url: ${receiver.url}`,
        "    secret: {env: OPS_SIGNING}",
        "    events: [run.succeeded]",
        // Long enough that the retry is not due before the daemon is stopped.
        "    backoff: 8s",
        "repositories:",
        "  - name: restart",
        `    url: ${origin.bare}`,
        "",
      ].join("\n"),
    );
    const env = {
      SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
      SLIPWAY_DATA_DIR: join(dir, "data"),
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-notify-restart`,
      SLIPWAY_API_TOKEN: API_TOKEN,
      OPS_SIGNING: SIGNING,
    };
    const api = async <T>(url: string, path: string, method = "GET", body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as T;
    };
    const listening = /listening on (http:\/\/\S+),/;
    receiver.answers.push({ status: 503 });
    const first = startCli(["serve"], env);
    await first.waitFor(listening);
    const url1 = listening.exec(first.output())?.[1] ?? "";
    const { run } = await api<{ run: RunRow }>(url1, "/api/repos/restart/runs", "POST", { ref: "develop" });
    const pending = await eventually(async () => {
      const { deliveries } = await api<{ deliveries: DeliveryJson[] }>(
        url1,
        `/api/notifications/deliveries?run=${run.id}`,
      );
      const d = deliveries[0];
      return d && d.attempts === 1 ? d : undefined;
    }, 120_000);
    expect(pending).toMatchObject({ status: "pending", lastStatusCode: 503 });
    first.child.kill("SIGTERM");
    const firstExit = await first.done;
    expect(firstExit.code).toBe(0);
    expect(receiver.received).toHaveLength(1);

    const second = startCli(["serve"], env);
    try {
      await second.waitFor(listening);
      const url2 = listening.exec(second.output())?.[1] ?? "";
      const done = await eventually(async () => {
        const { delivery, attempts } = await api<{ delivery: DeliveryJson; attempts: DeliveryAttemptJson[] }>(
          url2,
          `/api/notifications/deliveries/${pending.id}`,
        );
        return delivery.status === "delivered" ? { delivery, attempts } : undefined;
      }, 30_000);
      expect(done.attempts.map((a) => a.statusCode)).toEqual([503, 204]);
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received.map((r) => r.headers["x-slipway-delivery"])).toEqual([pending.id, pending.id]);
      expect(receiver.received.every(verified)).toBe(true);
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
    }
    const output = first.output() + second.output();
    expect(output).toMatch(/notify: ops run\.succeeded attempt 1 failed \(SLIPWAY_E_NOTIFY_REFUSED: HTTP 503\)/);
    expect(output).not.toContain(SIGNING);
  });
});

describe("slipway serve (the CLI): a run a killed daemon left running", () => {
  const origin = createOrigin({
    "slipway.yml": [
      "name: killed",
      "builders:",
      "  box: { image: busybox:latest }",
      "stages:",
      "  - name: long",
      "    builder: box",
      '    commands: ["echo waiting-for-the-kill", "sleep 120"]',
      "",
    ].join("\n"),
  });
  const dir = mkdtempSync(join(tmpdir(), "slipway-notify-killed-"));
  let receiver: Receiver;
  afterAll(async () => {
    await receiver?.close();
    origin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is reported run.failed by the next start, which reconciles it", async () => {
    receiver = await startReceiver();
    writeFileSync(
      join(dir, "slipway.config.yml"),
      [
        "notifications:",
        `  - {name: ops, url: '${receiver.url}', secret: {env: OPS_SIGNING}, events: [run.started, run.failed]}`,
        "repositories:",
        `  - {name: killed, url: '${origin.bare}'}`,
        "",
      ].join("\n"),
    );
    const env = {
      SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
      SLIPWAY_DATA_DIR: join(dir, "data"),
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-notify-killed`,
      SLIPWAY_API_TOKEN: API_TOKEN,
      OPS_SIGNING: SIGNING,
    };
    const listening = /listening on (http:\/\/\S+),/;
    const first = startCli(["serve"], env);
    await first.waitFor(listening);
    const url1 = listening.exec(first.output())?.[1] ?? "";
    const res = await fetch(`${url1}/api/repos/killed/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ ref: "develop" }),
    });
    const { run } = (await res.json()) as { run: RunRow };
    await eventually(async () => {
      const log = await (await fetch(`${url1}/api/runs/${run.id}/logs/long`)).text();
      return log.includes("waiting-for-the-kill") ? true : undefined;
    });
    expect(events(receiver).map((e) => e.event)).toEqual(["run.started"]);
    first.child.kill("SIGKILL");
    await first.done;

    const second = startCli(["serve"], env);
    try {
      await second.waitFor(listening);
      await eventually(async () => (receiver.received.length >= 2 ? true : undefined), 30_000, "run.failed");
      const failed = events(receiver)[1] as JsonPayload;
      expect(failed).toMatchObject({
        event: "run.failed",
        run: { id: run.id, status: "failed", error: "runner restarted" },
      });
      expect(verified(receiver.received[1] as Received)).toBe(true);
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
    }
  });
});

describe("slipway serve: a run waiting for approval", () => {
  const project = `slipway-notify-gate-${Math.random().toString(36).slice(2, 8)}`;
  const origin = createOrigin(gatedRepository(project, ["approval: manual"]));
  let receiver: Receiver;
  let daemon: TestDaemon;
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
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
    origin.cleanup();
  });

  it("sends approval.waiting with the gate, and does not start the run again when it resumes", async () => {
    receiver = await startReceiver();
    daemon = await startTestDaemon(
      [
        "notifications:",
        `  - {name: ops, url: '${receiver.url}', events: [run.started, approval.waiting, run.succeeded], format: json}`,
        `  - {name: chat, url: '${receiver.url}/chat', events: [approval.waiting], format: slack}`,
        "repositories:",
        `  - {name: gated, url: '${origin.bare}'}`,
        "",
      ].join("\n"),
    );
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" });
    const runId = body.run.id;
    await eventually(async () => (receiver.received.length >= 3 ? true : undefined), 60_000, "started and waiting");
    const json = () =>
      receiver.received.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body) as JsonPayload);
    expect(json().map((e) => e.event)).toEqual(["run.started", "approval.waiting"]);
    expect(json()[1]).toMatchObject({
      run: { id: runId, status: "waiting" },
      approval: { stage: "deploy-prod", environment: "production" },
    });
    const slack = JSON.parse(receiver.received.find((r) => r.path === "/hook/chat")?.body ?? "{}") as SlackPayload;
    expect(slack.text).toMatch(
      /^:hourglass_flowing_sand: \*gated\* run #1 waits for approval to deploy to `production` \(stage `deploy-prod`\)/,
    );

    const approved = await daemon.api("POST", `/api/runs/${runId}/approve`, { comment: "ship it" });
    expect(approved.status).toBeLessThan(300);
    const { run } = await daemon.waitForRun(runId);
    expect(run.status).toBe("success");
    await eventually(async () => (json().length >= 3 ? true : undefined), 30_000, "run.succeeded");
    expect(json().map((e) => e.event)).toEqual(["run.started", "approval.waiting", "run.succeeded"]);
  });
});
