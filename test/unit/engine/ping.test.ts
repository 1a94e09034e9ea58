import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../../engine/index.js";

// DockerEngine.ping on a local socket goes out through node:http before dockerode is loaded
// (the client is made while the daemon answers). Here a plain HTTP server on a unix socket
// stands in for the daemon's socket: these tests are about the request and its errors, not
// the engine (the integration suites run every call against the real one).

let dir: string;
let server: Server;
let socket: string;
let status = 200;
const seen: { method?: string; url?: string; host?: string }[] = [];
const savedHost = process.env.DOCKER_HOST;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-ping-"));
  socket = join(dir, "docker.sock");
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host });
    if (req.url?.startsWith("/containers/json")) return res.writeHead(200).end("[]");
    if (req.url?.startsWith("/networks")) return res.writeHead(200).end("[]");
    if (req.url?.startsWith("/volumes")) return res.writeHead(200).end('{"Volumes":[]}');
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "OK" : "down");
  });
  await new Promise<void>((done) => server.listen(socket, done));
});

afterEach(() => {
  seen.length = 0;
  status = 200;
  if (savedHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedHost;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

describe("DockerEngine.ping on a local socket", () => {
  it("asks /_ping, and the client made meanwhile reaches the same socket", async () => {
    process.env.DOCKER_HOST = `unix://${socket}`;
    const engine = new DockerEngine();
    await engine.ping();
    expect(seen[0]).toMatchObject({ method: "GET", url: "/_ping" });
    // The next call goes through dockerode (made with the same socket agent) to the same server.
    expect(await engine.listResources(["io.slipway.owner"])).toEqual([]);
    expect(seen.map((r) => r.url?.split("?")[0]).sort()).toEqual([
      "/_ping",
      "/containers/json",
      "/networks",
      "/volumes",
    ]);
  });

  it("reports an answer other than 200 as an unreachable engine, naming where it asked", async () => {
    process.env.DOCKER_HOST = `unix://${socket}`;
    status = 503;
    const err = await new DockerEngine().ping().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SLIPWAY_E_ENGINE_UNREACHABLE" });
    expect((err as Error).message).toContain(`unix://${socket}`);
    expect((err as Error).message).toContain("503");
  });

  it("reports a socket nobody listens on as an unreachable engine", async () => {
    process.env.DOCKER_HOST = `unix://${join(dir, "missing.sock")}`;
    const err = await new DockerEngine().ping().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SLIPWAY_E_ENGINE_UNREACHABLE" });
    expect((err as Error).message).toMatch(/ENOENT/);
  });
});
