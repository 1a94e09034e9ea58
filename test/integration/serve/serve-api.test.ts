import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow, StageRow } from "../../../store/index.js";
import { git } from "../../helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const pipeline = (command: string) =>
  [
    "name: api",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: build",
    "    builder: box",
    `    commands: [${JSON.stringify(command)}]`,
    "",
  ].join("\n");

type ApiError = { error: string; message: string };

/** One server-sent event as the API sends it. */
interface SseEvent {
  id?: string;
  event?: string;
  data: { offset: number; text?: string };
}

/**
 * Reads SSE from `url` until an `end` event, or until `stopAfter` data events (then aborts,
 * like a client losing its connection). `lastEventId` resumes like a reconnecting EventSource.
 */
async function readSse(url: string, opts: { lastEventId?: string; stopAfter?: number } = {}): Promise<SseEvent[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (opts.lastEventId !== undefined) headers["last-event-id"] = opts.lastEventId;
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(block)?.[1];
        const data = field("data");
        if (data === undefined) continue;
        const event: SseEvent = { id: field("id"), event: field("event"), data: JSON.parse(data) };
        events.push(event);
        if (event.event === "end") return events;
        if (opts.stopAfter !== undefined && events.length >= opts.stopAfter) {
          controller.abort();
          return events;
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return events;
}

describe("slipway serve: the HTTP API (refs, manual runs, queries, logs, SSE, health, metrics)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  const shas: Record<string, string> = {};

  const trigger = (ref: string, token?: string | null) =>
    daemon.api<{ run: RunRow } & ApiError>("POST", "/api/repos/api/runs", { ref }, token);

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": pipeline("echo hello from $SLIPWAY_REF_NAME"), VERSION: "1\n" });
    const w = origin.work;
    git(w, "tag", "v1.0");
    git(w, "checkout", "-qb", "feature/broken");
    writeFileSync(join(w, "slipway.yml"), pipeline("echo about to fail; exit 3"));
    git(w, "commit", "-qam", "broken");
    git(w, "checkout", "-q", "develop");
    git(w, "checkout", "-qb", "feature/stream");
    writeFileSync(
      join(w, "slipway.yml"),
      pipeline("for i in $(seq 1 20); do echo line $i of the stream; sleep 0.1; done"),
    );
    git(w, "commit", "-qam", "stream");
    git(w, "push", "-q", "origin", "feature/broken", "feature/stream", "v1.0");
    for (const ref of ["main", "develop", "feature/broken", "feature/stream", "v1.0"]) {
      shas[ref] = git(w, "rev-parse", `${ref}^{commit}`);
    }
    daemon = await startTestDaemon(["repositories:", "  - name: api", `    url: ${origin.bare}`, ""].join("\n"));
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  describe("refs and manual runs", () => {
    it("GET /api/repos/:repo/refs lists branches and tags with their commits", async () => {
      const res = await daemon.api<{ branches: { name: string; ref: string; sha: string }[]; tags: unknown[] }>(
        "GET",
        "/api/repos/api/refs",
        undefined,
        null,
      );
      expect(res.status).toBe(200);
      const branches = Object.fromEntries(res.body.branches.map((b) => [b.name, b]));
      for (const name of ["main", "develop", "feature/broken", "feature/stream"]) {
        expect(branches[name]).toEqual({ name, ref: `refs/heads/${name}`, sha: shas[name] });
      }
      expect(res.body.tags).toEqual([{ name: "v1.0", ref: "refs/tags/v1.0", sha: shas["v1.0"] }]);
      const missing = await daemon.api<ApiError>("GET", "/api/repos/nope/refs");
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
    });

    it("POST /api/repos/:repo/runs {ref} → 201 and a queued manual run of the ref's commit", async () => {
      const res = await trigger("develop");
      expect(res.status).toBe(201);
      expect(res.body.run).toMatchObject({
        repository: "api",
        ref: "refs/heads/develop",
        sha: shas.develop,
        trigger: "manual",
        actor: "$SLIPWAY_API_TOKEN",
        flowKind: "develop",
      });
      expect((await daemon.waitForRun(res.body.run.id, 60_000)).run.status).toBe("success");
    });

    it("an unknown ref → 422 SLIPWAY_E_API_BAD_REF, an unknown repository → 404", async () => {
      const res = await trigger("no-such-branch");
      expect(res.status).toBe(422);
      expect(res.body.error).toBe("SLIPWAY_E_API_BAD_REF");
      expect(res.body.message).toContain("no-such-branch");
      const sha = await daemon.api<ApiError>("POST", "/api/repos/api/runs", { ref: "develop", sha: "f".repeat(40) });
      expect(sha.status).toBe(422);
      expect(sha.body.error).toBe("SLIPWAY_E_API_BAD_REF");
      const repo = await daemon.api<ApiError>("POST", "/api/repos/nope/runs", { ref: "develop" });
      expect(repo.status).toBe(404);
    });

    it.each([
      ["no ref", {}],
      ["a ref that is not a string", { ref: 7 }],
      ["an empty ref", { ref: "" }],
      ["a sha that is not 40 hex", { ref: "develop", sha: "abc" }],
      ["a JSON array", ["develop"]],
    ])("a body with %s → 400 SLIPWAY_E_API_BAD_BODY", async (_what, body) => {
      const res = await daemon.api<ApiError>("POST", "/api/repos/api/runs", body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("SLIPWAY_E_API_BAD_BODY");
    });

    it("malformed JSON → 400 SLIPWAY_E_API_BAD_BODY in the API's error shape", async () => {
      const res = await fetch(`${daemon.url}/api/repos/api/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
        body: '{"ref": "develop"',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ApiError).error).toBe("SLIPWAY_E_API_BAD_BODY");
    });

    it("mutating endpoints need the API token: none or a wrong one → 401, reads stay public", async () => {
      const none = await daemon.api<ApiError>("POST", "/api/repos/api/runs", { ref: "develop" }, null);
      expect(none.status).toBe(401);
      expect(none.body.error).toBe("SLIPWAY_E_API_UNAUTHORIZED");
      const wrong = await daemon.api<ApiError>("POST", "/api/repos/api/runs", { ref: "develop" }, "not-a-token");
      expect(wrong.status).toBe(401);
      const { runs } = (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs", undefined, null)).body;
      expect(runs.length).toBeGreaterThan(0);
      for (const path of [`/api/runs/${runs[0]?.id}/cancel`, `/api/runs/${runs[0]?.id}/retry`]) {
        expect((await daemon.api("POST", path, {}, null)).status).toBe(401);
      }
      // Nothing was queued by the refused requests.
      expect((await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs")).body.runs).toHaveLength(runs.length);
    });

    it("a token issued by the store is accepted and named as the actor", async () => {
      const issued = await daemon.ctx.store.createApiToken("ci-bot");
      const res = await trigger("main", issued.token);
      expect(res.status).toBe(201);
      expect(res.body.run.actor).toBe("ci-bot");
      await daemon.waitForRun(res.body.run.id, 60_000);
      await daemon.ctx.store.revokeApiToken(issued.id);
      expect((await trigger("main", issued.token)).status).toBe(401);
    });
  });

  describe("GET /api/runs: filters and pagination", () => {
    const created: RunRow[] = [];
    beforeAll(async () => {
      // 12 more cheap runs: 8 of develop, then main, the tag, a failing and a streaming feature.
      for (const ref of [...Array(8).fill("develop"), "main", "v1.0", "feature/broken", "feature/stream"]) {
        const res = await trigger(ref);
        expect(res.status).toBe(201);
        created.push(res.body.run);
      }
      for (const run of created) await daemon.waitForRun(run.id, 90_000);
    });

    const list = async (query: string) => {
      const res = await daemon.api<{ runs: RunRow[]; nextCursor?: string } & ApiError>("GET", `/api/runs?${query}`);
      expect(res.status).toBe(200);
      return res.body;
    };

    it("filters by repository, status, ref and flowKind", async () => {
      const all = (await list("repository=api&limit=500")).runs;
      expect(all.length).toBeGreaterThanOrEqual(14);
      expect((await list("repository=other")).runs).toEqual([]);
      const failed = (await list("status=failed")).runs;
      expect(failed.map((r) => r.ref)).toEqual(["refs/heads/feature/broken"]);
      const tags = (await list("flowKind=tag")).runs;
      expect(tags.map((r) => [r.ref, r.sha])).toEqual([["refs/tags/v1.0", shas["v1.0"]]]);
      const develop = (await list("ref=refs/heads/develop&limit=500")).runs;
      expect(develop).toHaveLength(9);
      expect(develop.every((r) => r.ref === "refs/heads/develop" && r.flowKind === "develop")).toBe(true);
      const both = (await list("flowKind=feature&status=success")).runs;
      expect(both.map((r) => r.ref)).toEqual(["refs/heads/feature/stream"]);
    });

    it("pages with limit + cursor: newest first, every run once, no cursor on the last page", async () => {
      const all = (await list("limit=500")).runs;
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list(`limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(page.runs.length).toBeLessThanOrEqual(5);
        seen.push(...page.runs.map((r) => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(Math.ceil(all.length / 5));
      expect(seen).toEqual(all.map((r) => r.id));
      expect(new Set(seen).size).toBe(seen.length);
      const createdAt = all.map((r) => r.createdAt);
      expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a));
    });

    it.each([
      ["limit=0"],
      ["limit=501"],
      ["limit=abc"],
      ["limit=2.5"],
      ["status=done"],
      ["flowKind=bugfix"],
      ["cursor=not-a-cursor"],
    ])("GET /api/runs?%s → 400 SLIPWAY_E_API_BAD_QUERY", async (query) => {
      const res = await daemon.api<ApiError>("GET", `/api/runs?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("SLIPWAY_E_API_BAD_QUERY");
    });

    it("GET /api/runs/:id has the run and its stages; an unknown id → 404", async () => {
      const run = created.find((r) => r.ref === "refs/heads/feature/broken") as RunRow;
      const res = await daemon.api<{ run: RunRow; stages: StageRow[]; artifacts: unknown[] }>(
        "GET",
        `/api/runs/${run.id}`,
      );
      expect(res.body.run).toMatchObject({ id: run.id, status: "failed" });
      expect(res.body.run.error).toMatch(/build/);
      expect(res.body.stages.map((s) => [s.name, s.status])).toEqual([["build", "failed"]]);
      const missing = await daemon.api<ApiError>("GET", "/api/runs/01J0000000000000000000NONE");
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
      expect((await daemon.api<ApiError>("GET", "/api/runs/01J0000000000000000000NONE/logs/build")).status).toBe(404);
    });

    it("GET /api/runs/:id/logs/:stage: the whole log, and ?offset=N its tail", async () => {
      const run = created.find((r) => r.ref === "refs/heads/feature/stream") as RunRow;
      const res = await fetch(`${daemon.url}/api/runs/${run.id}/logs/build`);
      const whole = await res.text();
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(Number(res.headers.get("x-log-size"))).toBe(Buffer.byteLength(whole));
      for (let i = 1; i <= 20; i++) expect(whole).toContain(`line ${i} of the stream\n`);
      // Offsets count bytes (the log has non-ASCII in it), not UTF-16 characters.
      const bytes = Buffer.from(whole);
      const offset = bytes.indexOf("line 15");
      const tail = await daemon.api<string>("GET", `/api/runs/${run.id}/logs/build?offset=${offset}`);
      expect(tail.body).toBe(bytes.subarray(offset).toString());
      expect(tail.body.startsWith("line 15 of the stream\n")).toBe(true);
      const past = await daemon.api<string>("GET", `/api/runs/${run.id}/logs/build?offset=${bytes.length + 100}`);
      expect(past.body).toBe("");
      for (const bad of ["-1", "abc", "1.5"]) {
        const res2 = await daemon.api<ApiError>("GET", `/api/runs/${run.id}/logs/build?offset=${bad}`);
        expect(res2.status).toBe(400);
        expect(res2.body.error).toBe("SLIPWAY_E_API_BAD_QUERY");
      }
      const setup = await daemon.api<string>("GET", `/api/runs/${run.id}/logs/_setup`);
      expect(setup.body).toContain(`run #${run.number} of api`);
    });
  });

  it("SSE ?follow=1: live lines, resume with Last-Event-ID without gaps or duplicates, then `end`", async () => {
    const { body } = await trigger("feature/stream");
    const id = body.run.id;
    await eventually(async () => {
      const { stages } = (await daemon.api<{ stages: StageRow[] }>("GET", `/api/runs/${id}`)).body;
      return stages.find((s) => s.name === "build" && s.status === "running");
    }, 60_000);
    const url = `${daemon.url}/api/runs/${id}/logs/build?follow=1`;
    const first = await readSse(url, { stopAfter: 3 });
    expect(first).toHaveLength(3);
    // These came while the stage was still printing: the run is not over yet.
    expect((await daemon.api<{ run: RunRow }>("GET", `/api/runs/${id}`)).body.run.status).toBe("running");
    const lastId = first.at(-1)?.id as string;
    expect(Number(lastId)).toBeGreaterThan(0);
    const rest = await readSse(url, { lastEventId: lastId });
    const end = rest.at(-1);
    expect(end?.event).toBe("end");
    const events = [...first, ...rest.slice(0, -1)];
    // Ids are byte offsets: each event starts where the previous one ended.
    let expected = 0;
    for (const e of events) {
      expect(e.data.offset).toBe(expected);
      expected = Number(e.id);
    }
    const streamed = events.map((e) => e.data.text).join("");
    expect(end?.data.offset).toBe(Buffer.byteLength(streamed));
    const whole = (await daemon.api<string>("GET", `/api/runs/${id}/logs/build`)).body;
    expect(streamed).toBe(whole);
    for (let i = 1; i <= 20; i++) expect(streamed.split(`line ${i} of the stream\n`)).toHaveLength(2);
    // Following a finished stage replays it and ends at once.
    const replay = await readSse(url);
    expect(replay.at(-1)?.event).toBe("end");
    expect(
      replay
        .filter((e) => e.event !== "end")
        .map((e) => e.data.text)
        .join(""),
    ).toBe(whole);
  });

  it("/healthz reports the store and the engine; /metrics is Prometheus text", async () => {
    const health = await daemon.api<{ status: string; store: string; engine: string }>(
      "GET",
      "/healthz",
      undefined,
      null,
    );
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", store: "ok", engine: "ok" });
    const res = await fetch(`${daemon.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^slipway_runs_total\{status="success"\} (\d+)$/m)).toBeGreaterThanOrEqual(13);
    expect(value(/^slipway_runs_total\{status="failed"\} (\d+)$/m)).toBe(1);
    expect(value(/^slipway_queue_depth (\d+)$/m)).toBe(0);
    expect(text).toMatch(/^slipway_stage_duration_seconds_bucket\{le="\+Inf",type="[a-z]+"\} \d+$/m);
    expect(text).toMatch(/^slipway_stage_duration_seconds_count\{type="[a-z]+"\} \d+$/m);
  });

  it("an unknown route → 404 in the API's error shape", async () => {
    const res = await daemon.api<ApiError>("GET", "/api/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
  });
});

describe("slipway serve: public_read: false", () => {
  let daemon: TestDaemon;
  let origin: ReturnType<typeof createOrigin>;
  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": pipeline("echo private") });
    daemon = await startTestDaemon(
      ["public_read: false", "repositories:", "  - name: private", `    url: ${origin.bare}`, ""].join("\n"),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("GET endpoints under /api need the token too; /healthz and /metrics do not", async () => {
    for (const path of ["/api/runs", "/api/repos", "/api/repos/private/refs", "/api/runs/x/logs/build?follow=1"]) {
      const res = await daemon.api<ApiError>("GET", path, undefined, null);
      expect([path, res.status, res.body.error]).toEqual([path, 401, "SLIPWAY_E_API_UNAUTHORIZED"]);
    }
    expect((await daemon.api("GET", "/api/runs")).status).toBe(200);
    expect((await daemon.api("GET", "/api/repos/private/refs")).status).toBe(200);
    expect((await daemon.api("GET", "/healthz", undefined, null)).status).toBe(200);
    expect((await fetch(`${daemon.url}/metrics`)).status).toBe(200);
  });
});
