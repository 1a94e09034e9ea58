import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "../../../store/index.js";
import { createOrigin, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const JUNIT =
  '<testsuite name="unit" tests="3" failures="1" errors="0" skipped="0">' +
  '<testcase classname="math" name="adds"/><testcase classname="math" name="subtracts"/>' +
  '<testcase classname="math" name="divides"><failure message="division by zero"/></testcase></testsuite>';

const PIPELINE = [
  "name: dash",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  "    commands:",
  "      - mkdir -p out",
  "      - printf 'binary-bytes' > out/app.bin",
  `      - printf '%s' '${JUNIT}' > out/junit.xml`,
  "    artifacts: [out/app.bin, out/junit.xml]",
  "",
].join("\n");

type ApiError = { error: string; message: string };

/** Reads `GET /api/events` until `until` returns true for a received `{run, stages}` message. */
async function watchEvents(url: string, until: (msg: { run: RunRow }) => boolean, token?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/api/events`, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  const seen: { run: RunRow }[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          const msg = JSON.parse(data) as { run: RunRow };
          seen.push(msg);
          if (until(msg)) {
            controller.abort();
            return seen;
          }
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    return seen;
  })();
  return { done, abort: () => controller.abort() };
}

describe("slipway serve: dashboard API (artifacts, test reports, audit, tokens, events, schemas, OpenAPI)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let run: RunRow | undefined;
  /** The finished develop run: the events test's, or (when a test runs alone) one made for it. */
  async function finishedRun(): Promise<RunRow> {
    if (!run) run = (await daemon.api<{ run: RunRow }>("POST", "/api/repos/dash/runs", { ref: "develop" })).body.run;
    return (await daemon.waitForRun(run.id)).run;
  }

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": PIPELINE });
    daemon = await startTestDaemon(["repositories:", "  - name: dash", `    url: ${origin.bare}`, ""].join("\n"));
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("/api/events streams the run's changes live, ending at success", async () => {
    const watcher = await watchEvents(daemon.url, (m) => m.run.status === "success");
    const res = await daemon.api<{ run: RunRow }>("POST", "/api/repos/dash/runs", { ref: "develop" });
    expect(res.status).toBe(201);
    const started = res.body.run;
    run = started;
    const seen = await watcher.done;
    const mine = seen.filter((m) => m.run.id === started.id).map((m) => m.run.status);
    // Bursts are coalesced into the run's current row, so `queued` may already read `running`.
    expect(["queued", "running"]).toContain(mine[0]);
    expect(mine).toContain("running");
    expect(mine.at(-1)).toBe("success");
  });

  it("records a build stage's artifacts with size and SHA-256, downloadable by id", async () => {
    const run = await finishedRun();
    const detail = await daemon.waitForRun(run.id);
    const body = detail as unknown as {
      artifacts: { id: number; stage: string; path: string; size: number; sha256: string }[];
    };
    const byPath = Object.fromEntries(body.artifacts.map((a) => [a.path, a]));
    expect(Object.keys(byPath).sort()).toEqual(["out/app.bin", "out/junit.xml"]);
    const bin = byPath["out/app.bin"]!;
    expect(bin).toMatchObject({ stage: "build", size: 12 });
    expect(bin.sha256).toBe(createHash("sha256").update("binary-bytes").digest("hex"));
    const dl = await fetch(`${daemon.url}/api/runs/${run.id}/artifacts/${bin.id}`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-disposition")).toBe('attachment; filename="app.bin"');
    expect(await dl.text()).toBe("binary-bytes");
    const missing = await daemon.api<ApiError>("GET", `/api/runs/${run.id}/artifacts/999999`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
  });

  it("summarises JUnit artifacts: counts and failing test names", async () => {
    const run = await finishedRun();
    const res = await daemon.api<{ tests: unknown[] }>("GET", `/api/runs/${run.id}`);
    expect(res.body.tests).toEqual([
      {
        stage: "build",
        tests: 3,
        passed: 2,
        failed: 1,
        errors: 0,
        skipped: 0,
        failures: [{ name: "math.divides", message: "division by zero" }],
      },
    ]);
  });

  it("tokens: created (shown once), usable, listed without the secret, revoked, audited", async () => {
    const run = await finishedRun();
    const anon = await daemon.api<ApiError>("POST", "/api/tokens", { name: "ci-bot" }, null);
    expect(anon.status).toBe(401);
    const list0 = await daemon.api<ApiError>("GET", "/api/tokens", undefined, null);
    expect(list0.status).toBe(401); // token names are private even with public_read
    const bad = await daemon.api<ApiError>("POST", "/api/tokens", { name: "x", admin: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("SLIPWAY_E_API_BAD_BODY");
    const created = await daemon.api<{ id: string; name: string; token: string }>("POST", "/api/tokens", {
      name: "ci-bot",
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^slw_/);
    const who = await daemon.api<{ actor: string; canWrite: boolean }>(
      "GET",
      "/api/whoami",
      undefined,
      created.body.token,
    );
    expect(who.body).toMatchObject({ actor: "ci-bot", canWrite: true });
    const list = await daemon.api<{ tokens: Record<string, unknown>[] }>("GET", "/api/tokens");
    const listed = list.body.tokens.find((t) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: "ci-bot", revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const revoke = await daemon.api("DELETE", `/api/tokens/${created.body.id}`);
    expect(revoke.status).toBe(200);
    const again = await daemon.api<ApiError>("DELETE", `/api/tokens/${created.body.id}`);
    expect(again.status).toBe(404);
    const after = await daemon.api<{ actor: string | null }>("GET", "/api/whoami", undefined, created.body.token);
    expect(after.body.actor).toBeNull();
    const refused = await daemon.api<ApiError>("POST", `/api/runs/${run.id}/retry`, {}, created.body.token);
    expect(refused.status).toBe(401);
    const audit = await daemon.api<{ events: { actor: string; action: string; target: string }[] }>(
      "GET",
      "/api/audit?limit=10",
    );
    const actions = audit.body.events.map((e) => `${e.action} ${e.target}`);
    expect(actions).toContain(`token-create ${created.body.id}`);
    expect(actions).toContain(`token-revoke ${created.body.id}`);
    expect(actions).toContain(`trigger dash@refs/heads/develop`);
    expect(audit.body.events[0]?.action).toBe("token-revoke"); // newest first
  });

  it("requests are validated by their schemas, with the API's error codes", async () => {
    const noRef = await daemon.api<ApiError>("POST", "/api/repos/dash/runs", { ref: 7 });
    expect(noRef.status).toBe(400);
    expect(noRef.body.error).toBe("SLIPWAY_E_API_BAD_BODY");
    const extra = await daemon.api<ApiError>("POST", "/api/repos/dash/runs", { ref: "develop", force: true });
    expect(extra.body.error).toBe("SLIPWAY_E_API_BAD_BODY");
    const query = await daemon.api<ApiError>("GET", "/api/runs?colour=red");
    expect(query.status).toBe(400);
    expect(query.body.error).toBe("SLIPWAY_E_API_BAD_QUERY");
    const audit = await daemon.api<ApiError>("GET", "/api/audit?limit=many");
    expect(audit.body.error).toBe("SLIPWAY_E_API_BAD_QUERY");
  });

  it("publishes an OpenAPI 3 document listing every route with its schemas", async () => {
    const res = await daemon.api<{ openapi: string; paths: Record<string, Record<string, { responses: object }>> }>(
      "GET",
      "/api/openapi.json",
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    for (const path of [
      "/api/runs",
      "/api/runs/{id}",
      "/api/runs/{id}/retry",
      "/api/runs/{id}/artifacts/{artifact}",
      "/api/audit",
      "/api/tokens",
      "/api/tokens/{id}",
      "/api/events",
      "/api/repos/{repo}/refs",
      "/api/hooks/{repo}",
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    const getRun = res.body.paths["/api/runs/{id}"]?.get as unknown as {
      responses: Record<string, { content: Record<string, { schema: { properties: object } }> }>;
    };
    expect(Object.keys(getRun.responses["200"]?.content["application/json"]?.schema.properties ?? {})).toEqual([
      "run",
      "stages",
      "artifacts",
      "tests",
      "approvals",
    ]);
    // The messages of /api/events, one schema per `event:` name, in the document's components.
    const doc = res.body as unknown as {
      components: { schemas: Record<string, { properties: Record<string, { nullable?: boolean }> }> };
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, unknown> }> } }>;
    };
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.RunEvent?.properties ?? {})).toEqual(["run", "stages"]);
    expect(Object.keys(schemas.DeploymentEvent?.properties ?? {})).toEqual(["deployment"]);
    expect(Object.keys(schemas.DeploymentBatchEvent?.properties ?? {})).toEqual(["repository", "environment", "batch"]);
    expect(Object.keys(schemas.EnvironmentLockEvent?.properties ?? {})).toEqual(["repository", "environment", "lock"]);
    // Converted to OpenAPI 3.0's dialect like the routes' schemas: a nullable field says `nullable`.
    const deployment = schemas.DeploymentEvent?.properties.deployment as unknown as {
      properties: Record<string, { nullable?: boolean }>;
    };
    expect(deployment.properties.outcome?.nullable).toBe(true);
    expect(Object.keys(doc.paths["/api/events"]?.get.responses["200"]?.content ?? {})).toEqual(["text/event-stream"]);
  });

  it("serves the dashboard (or its build hint) at / and JSON 404s under /api", async () => {
    const run = await finishedRun();
    const page = await fetch(`${daemon.url}/runs/${run.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("Slipway");
    const api = await daemon.api<ApiError>("GET", "/api/nope");
    expect(api.status).toBe(404);
    expect(api.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
  });
});
