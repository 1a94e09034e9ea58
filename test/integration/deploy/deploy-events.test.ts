import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  DeploymentBatchEventJson,
  DeploymentEventJson,
  DeploymentJson,
  EnvironmentLockEventJson,
} from "../../../api-schema/index.js";
import type { RunRow } from "../../../store/index.js";
import { API_TOKEN, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";
import { DaemonEnvironment } from "./daemon-env.js";

interface Message {
  event: string;
  data: unknown;
}

/** Reads `GET /api/events` as a dashboard does (fetch with the token) until closed. */
async function openEvents(url: string): Promise<{ messages: Message[]; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${API_TOKEN}`, accept: "text/event-stream" },
    signal: ac.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const messages: Message[] = [];
  void (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) messages.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {}); // aborted by close()
  return { messages, close: () => ac.abort() };
}

/** One line per deployment message of `environment`, as a reader of the stream sees them. */
function story(messages: Message[], environment: string): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.event === "deployment") {
      const { deployment: d } = m.data as DeploymentEventJson;
      if (d.environment === environment) out.push(`deployment ${d.version} ${d.status}`);
    } else if (m.event === "batch") {
      const e = m.data as DeploymentBatchEventJson;
      if (e.environment === environment) out.push(`batch ${e.batch.service} ${e.batch.batch}/${e.batch.batches}`);
    } else if (m.event === "lock") {
      const e = m.data as EnvironmentLockEventJson;
      // Each operation holds the lock as `<runner id>/<operation id>`.
      const holder = e.lock?.holder.replace(/\/[0-9a-f]+$/, "/<op>");
      if (e.environment === environment) out.push(holder ? `lock taken by ${holder}` : "lock freed");
    }
  }
  return out;
}

/**
 * Deployment events on the daemon's one SSE stream: a deploy stage's first deployment, then an
 * explicit `POST .../deploy` of an older version, each told as the executor records it: lock
 * taken, deployment started, every batch, the end, lock freed.
 */
describe("deployment events on /api/events", () => {
  let env: DaemonEnvironment;
  let daemon: TestDaemon;

  beforeAll(async () => {
    env = await DaemonEnvironment.create();
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
    daemon = await startTestDaemon(env.config());
  });
  afterAll(async () => {
    await daemon?.stop();
    await env?.[Symbol.asyncDispose]();
  });

  const run = async () => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/shop/runs", { ref: "develop" });
    return daemon.waitForRun(body.run.id);
  };

  it("tells a deploy stage's and an explicit deploy's lock, start, batches, end and lock release, in order", async () => {
    const stream = await openEvents(daemon.url);
    try {
      const first = await run();
      expect(first.run.status).toBe("success");
      const holder = `${daemon.ctx.config.runnerId}/<op>`;
      // The deploy stage's first deployment creates the stack: one batch per service, watched at once.
      const firstStory = story(stream.messages, "staging");
      expect(firstStory[0]).toBe(`lock taken by ${holder}`);
      expect(firstStory[1]).toBe("deployment develop-1 running");
      expect(firstStory.slice(2, -2).sort()).toEqual(["batch app 1/1", "batch db 1/1", "batch lb 1/1"]);
      expect(firstStory.slice(-2)).toEqual(["deployment develop-1 success", "lock freed"]);
      const started = stream.messages.find((m) => m.event === "deployment") as { data: DeploymentEventJson };
      expect(started.data.deployment).toMatchObject({ trigger: "stage", runId: first.run.id, strategy: "rolling" });
      expect(started.data.deployment).not.toHaveProperty("spec");

      expect((await run()).run.status).toBe("success");
      stream.messages.length = 0;
      // Explicitly back to develop-1: three replicas of app, one batch each.
      const { status, body } = await daemon.api<{ deployment: DeploymentJson }>(
        "POST",
        "/api/repos/shop/environments/staging/deploy",
        { version: "develop-1" },
      );
      expect(status).toBe(202);
      await eventually(
        async () => (story(stream.messages, "staging").includes("lock freed") ? true : undefined),
        120_000,
        "the explicit deployment's end on the stream",
      );
      expect(story(stream.messages, "staging")).toEqual([
        `lock taken by ${holder}`,
        "deployment develop-1 running",
        "batch app 1/3",
        "batch app 2/3",
        "batch app 3/3",
        "deployment develop-1 success",
        "lock freed",
      ]);
      const messages = stream.messages.filter((m) => m.event !== "run");
      const ended = messages.at(-2)?.data as DeploymentEventJson;
      expect(ended.deployment).toMatchObject({
        id: body.deployment.id,
        trigger: "api",
        previousVersion: "develop-2",
        outcome: expect.stringMatching(/changed app/),
      });
      const batches = messages
        .filter((m) => m.event === "batch")
        .map((m) => (m.data as DeploymentBatchEventJson).batch);
      expect(batches.map((b) => [b.deploymentId, b.seq, b.status])).toEqual([
        [body.deployment.id, 1, "success"],
        [body.deployment.id, 2, "success"],
        [body.deployment.id, 3, "success"],
      ]);
      // What the stream said is what the store recorded.
      const { body: detail } = await daemon.api<{ deployment: { batches: unknown[] } }>(
        "GET",
        `/api/repos/shop/environments/staging/deployments/${body.deployment.id}`,
      );
      expect(detail.deployment.batches).toEqual(batches);
    } finally {
      stream.close();
    }
  });
});
