import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow, StageRow } from "../../store/index.js";
import { API_TOKEN, createOrigin, HOOK_SECRET, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

type ApiError = { error: string; message: string };

/** Sends raw bytes and returns the raw answer: for requests fetch refuses to build. */
function raw(url: string, request: string | Buffer): Promise<{ status: number; body: string; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4), text });
    });
    socket.end(request);
  });
}

/** The API's error shape, exactly: a SLIPWAY code (as `code` and `error`) and a message, nothing of fastify's own. */
function expectApiError(body: unknown, code: string): void {
  expect(body).toEqual({ error: code, code, message: expect.any(String) });
}

describe("security: API contracts (issue 7, probe 8) and hostile inputs", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let done: { run: RunRow; stages: StageRow[] };

  beforeAll(async () => {
    origin = createOrigin({
      "slipway.yml": [
        "name: contracts",
        "builders:",
        "  box: { image: busybox:latest }",
        "stages:",
        "  - name: build",
        "    builder: box",
        '    commands: ["echo built"]',
        "",
      ].join("\n"),
    });
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: contracts",
        `    url: ${origin.bare}`,
        "    poll: false",
        "    webhook_secret: { env: HOOK_SECRET }",
        "",
      ].join("\n"),
    );
    const created = await daemon.api<{ run: RunRow }>("POST", "/api/repos/contracts/runs", { ref: "develop" });
    done = await daemon.waitForRun(created.body.run.id);
    expect(done.run.status).toBe("success");
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  /** After each hostile input: the daemon answers and the earlier run is as it was. */
  async function expectUntouched(): Promise<void> {
    const health = await daemon.api<{ status: string }>("GET", "/healthz");
    expect(health.status).toBe(200);
    const detail = await daemon.api<{ run: RunRow }>("GET", `/api/runs/${done.run.id}`);
    expect(detail.body.run).toEqual(done.run);
  }
  const runCount = async () => (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?limit=500")).body.runs.length;

  it("an unknown route is 404 in the API's shape", async () => {
    const res = await daemon.api("GET", "/api/nope");
    expect(res.status).toBe(404);
    expectApiError(res.body, "SLIPWAY_E_API_NOT_FOUND");
    const method = await daemon.api("DELETE", "/api/runs");
    expect(method.status).toBe(404);
    expectApiError(method.body, "SLIPWAY_E_API_NOT_FOUND");
  });

  it("414: a path segment over 256 characters", async () => {
    const res = await daemon.api("GET", `/api/runs/${"A".repeat(300)}`);
    expect(res.status).toBe(414);
    expectApiError(res.body, "SLIPWAY_E_API_URI_TOO_LONG");
    await expectUntouched();
  });

  it("431: headers over 16 KiB (and a 20 KiB URL), answered by the parser in the API's shape", async () => {
    const url = new URL(daemon.url);
    const big = await raw(
      daemon.url,
      `GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\nX-Junk: ${"j".repeat(20_000)}\r\n\r\n`,
    );
    expect(big.status).toBe(431);
    expectApiError(JSON.parse(big.body), "SLIPWAY_E_API_HEADERS_TOO_LARGE");
    const longUrl = await raw(
      daemon.url,
      `GET /api/runs?x=${"u".repeat(20_000)} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`,
    );
    expect([414, 431]).toContain(longUrl.status);
    expect(JSON.parse(longUrl.body).error).toMatch(/^SLIPWAY_E_API_(URI_TOO_LONG|HEADERS_TOO_LARGE)$/);
    await expectUntouched();
  });

  it("malformed HTTP gets a JSON 400, not fastify's shape", async () => {
    const res = await raw(daemon.url, "GARBAGE\r\n\r\n");
    expect(res.status).toBe(400);
    expectApiError(JSON.parse(res.body), "SLIPWAY_E_API_BAD_REQUEST");
    await expectUntouched();
  });

  it.each([
    "limit=0x10",
    "limit=1e2",
    "limit=016",
    "limit=+5",
    "limit=%205",
    "limit=-1",
    "limit=0",
    "limit=501",
    "limit=99999999999999999999999",
    "limit=5.0",
    "limit=",
  ])("integers are strictly decimal: ?%s → 400 SLIPWAY_E_API_BAD_QUERY", async (query) => {
    const res = await daemon.api("GET", `/api/runs?${query}`);
    expect(res.status).toBe(400);
    expectApiError(res.body, "SLIPWAY_E_API_BAD_QUERY");
  });

  it("limit=16 (decimal) is accepted", async () => {
    const res = await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?limit=16");
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r) => r.id)).toContain(done.run.id);
  });

  it.each(["0x10", "1e2", "-1", "99999999999999999999", "abc"])(
    "Last-Event-ID: %s → 400 SLIPWAY_E_API_BAD_QUERY, also with follow",
    async (id) => {
      for (const follow of ["", "?follow=1"]) {
        const res = await fetch(`${daemon.url}/api/runs/${done.run.id}/logs/build${follow}`, {
          headers: { "last-event-id": id },
        });
        expect(res.status).toBe(400);
        expectApiError(await res.json(), "SLIPWAY_E_API_BAD_QUERY");
      }
    },
  );

  it("an absurd but decimal Last-Event-ID (beyond the log) resumes at the end: no data, just the end event", async () => {
    const res = await fetch(`${daemon.url}/api/runs/${done.run.id}/logs/build?follow=1`, {
      headers: { "last-event-id": "999999999999999" },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("built");
    expect(text).toMatch(/^event: end$/m);
  });

  it("a repeated query parameter is a clear 400, not a driver message", async () => {
    const res = await daemon.api<ApiError>("GET", "/api/runs?limit=1&limit=2");
    expect(res.status).toBe(400);
    expectApiError(res.body, "SLIPWAY_E_API_BAD_QUERY");
    expect(res.body.message).toBe("query parameter limit is given 2 times; give it once");
    const status = await daemon.api<ApiError>("GET", "/api/runs?status=failed&status=success");
    expect(status.status).toBe(400);
    expect(status.body.message).toContain("status is given 2 times");
  });

  it.each([
    ["[1]", "[1]"],
    ["a number", "5"],
    ["a string", '"failed"'],
    ["fromStage not a string", '{"fromStage": 5}'],
    ["an unknown key", '{"fromStage": "build", "all": true}'],
    ["an empty fromStage", '{"fromStage": ""}'],
  ])("a retry with %s is a 400 and queues nothing", async (_what, body) => {
    const before = await runCount();
    const res = await fetch(`${daemon.url}/api/runs/${done.run.id}/retry`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    expectApiError(await res.json(), "SLIPWAY_E_API_BAD_BODY");
    expect(await runCount()).toBe(before);
  });

  it("a retry with no body or {} still works (then is cancelled)", async () => {
    for (const body of [undefined, "{}"]) {
      const res = await fetch(`${daemon.url}/api/runs/${done.run.id}/retry`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
        body,
      });
      expect(res.status).toBe(201);
      const { run } = (await res.json()) as { run: RunRow };
      expect(run.retryOf).toBe(done.run.id);
      await daemon.api("POST", `/api/runs/${run.id}/cancel`);
      await daemon.waitForRun(run.id);
    }
  });

  // Further hostile inputs of our own.

  it("a trigger with a JSON body nested 10,000 deep is a 400; the daemon lives", async () => {
    const deep = `{"ref": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const res = await fetch(`${daemon.url}/api/repos/contracts/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: deep,
    });
    expect(res.status).toBe(400);
    expectApiError(await res.json(), "SLIPWAY_E_API_BAD_BODY");
    const deeper = `${"[".repeat(500_000)}${"]".repeat(500_000)}`;
    const res2 = await fetch(`${daemon.url}/api/repos/contracts/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: deeper,
    });
    expect(res2.status).toBe(400);
    expectApiError(await res2.json(), "SLIPWAY_E_API_BAD_BODY");
    await expectUntouched();
  });

  it("a trigger with a 900 KB ref is refused by the schema (1 KiB at most)", async () => {
    const before = await runCount();
    const res = await daemon.api("POST", "/api/repos/contracts/runs", { ref: `refs/heads/${"a".repeat(900_000)}` });
    expect(res.status).toBe(400);
    expectApiError(res.body, "SLIPWAY_E_API_BAD_BODY");
    expect(await runCount()).toBe(before);
  });

  it("a trigger body over 1 MiB is 413 SLIPWAY_E_API_TOO_LARGE", async () => {
    const res = await daemon.api("POST", "/api/repos/contracts/runs", {
      ref: "develop",
      pad: "x".repeat(2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expectApiError(res.body, "SLIPWAY_E_API_TOO_LARGE");
  });

  it("a trigger with a number for ref, or an extra key, is refused (no coercion, no silent removal)", async () => {
    for (const body of [{ ref: 5 }, { ref: "develop", extra: 1 }, { ref: "develop", sha: "ABC" }]) {
      const res = await daemon.api("POST", "/api/repos/contracts/runs", body);
      expect(res.status).toBe(400);
      expectApiError(res.body, "SLIPWAY_E_API_BAD_BODY");
    }
  });

  it("a trigger with invalid UTF-8 in the ref is refused as an unknown ref, never run", async () => {
    const before = await runCount();
    const body = Buffer.concat([Buffer.from('{"ref": "devel'), Buffer.from([0xff, 0xfe]), Buffer.from('op"}')]);
    const res = await fetch(`${daemon.url}/api/repos/contracts/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(422);
    expectApiError(await res.json(), "SLIPWAY_E_API_BAD_REF");
    expect(await runCount()).toBe(before);
  });

  it("a prototype-poisoning body is a 400", async () => {
    const res = await fetch(`${daemon.url}/api/repos/contracts/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: '{"ref": "develop", "__proto__": {"admin": true}}',
    });
    expect(res.status).toBe(400);
    expectApiError(await res.json(), "SLIPWAY_E_API_BAD_BODY");
  });

  it("a trigger sent as text/plain is refused by the schema (a string is not the body's object)", async () => {
    const res = await fetch(`${daemon.url}/api/repos/contracts/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "text/plain" },
      body: "ref=develop",
    });
    expect(res.status).toBe(400);
    expectApiError(await res.json(), "SLIPWAY_E_API_BAD_BODY");
  });

  it("path traversal in run ids and stage names reads nothing outside the store", async () => {
    // Unencoded, fetch normalises the dots away (/etc/passwd): the dashboard's page, not the file.
    const plain = await fetch(`${daemon.url}/api/runs/../../etc/passwd`);
    expect(await plain.text()).not.toContain("root:x:0:0");
    for (const path of ["/api/runs/..%2F..%2F..%2Fetc%2Fpasswd", "/api/runs/%2e%2e%2f%2e%2e%2fslipway.db"]) {
      const res = await daemon.api<ApiError>("GET", path);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("SLIPWAY_E_API_NOT_FOUND");
    }
    const stage = await daemon.api("GET", `/api/runs/${done.run.id}/logs/..%2F..%2F..%2Fetc%2Fpasswd`);
    expect(stage.status).toBe(200);
    expect(stage.body).toBe("");
    const db = await daemon.api("GET", `/api/runs/${done.run.id}/logs/..%2F..%2Fslipway.db`);
    expect(db.body).toBe("");
  });

  it("a malformed percent-encoding is 400 SLIPWAY_E_API_BAD_URL", async () => {
    const res = await daemon.api("GET", "/api/runs/%zz");
    expect(res.status).toBe(400);
    expectApiError(res.body, "SLIPWAY_E_API_BAD_URL");
  });

  it("a 12 KiB bearer token is a plain 401", async () => {
    const res = await daemon.api("POST", "/api/repos/contracts/runs", { ref: "develop" }, "t".repeat(12_000));
    expect(res.status).toBe(401);
    expectApiError(res.body, "SLIPWAY_E_API_UNAUTHORIZED");
  });

  it("a webhook with a 1 MB ref is refused (413) and starts nothing", async () => {
    const before = await runCount();
    const res = await fetch(`${daemon.url}/api/hooks/contracts`, {
      method: "POST",
      headers: { authorization: `Bearer ${HOOK_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ ref: `refs/heads/${"r".repeat(1024 * 1024)}` }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ApiError).error).toBe("SLIPWAY_E_HOOK_TOO_LARGE");
    expect(await runCount()).toBe(before);
    await expectUntouched();
  });

  it("300 concurrent connections are all answered and the daemon stays healthy", async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        fetch(`${daemon.url}/api/runs?limit=${(i % 50) + 1}`).then((r) => r.status),
      ),
    );
    expect(answers.every((s) => s === 200)).toBe(true);
    await expectUntouched();
  });
});
