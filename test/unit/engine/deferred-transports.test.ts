import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

// engine/deferred-transports.ts keeps dockerode's ssh transport (ssh2), BuildKit session
// (@grpc/grpc-js), own tar-fs, docker-modem's HttpDuplex (readable-stream) and its `debug`
// from loading with dockerode, and loads each when it is first called (`debug`: when $DEBUG
// asks for output). Run in a fresh process: this test process may have loaded dockerode in full already.

function probe(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const script = `
    import { createRequire } from "node:module";
    const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
    const loaded = (pkg) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + pkg + "/"));
    const { DockerEngine } = await import(${JSON.stringify(join(ROOT, "engine", "index.ts"))});
    const engine = new DockerEngine();
    // dockerode's main file (the stand-ins sit in require.cache under its folder from the start).
    const beforeFirstCall = Boolean(require.cache[require.resolve("dockerode")]);
    // The first call through dockerode makes the client (DOCKER_HOST names a socket that does
    // not exist: it fails at once). The ping goes out through node:http first on a local socket,
    // and makes the client only once its request is sent (here: never).
    await engine.ping().catch(() => {});
    await engine.imageId("busybox:latest").catch(() => {});
    const dockerodeMain = require.resolve("dockerode");
    const fromDockerode = createRequire(dockerodeMain);
    const tarFs = fromDockerode.resolve("tar-fs");
    const standIn = () => require.cache[tarFs]?.exports.pack.name === "deferred";
    const out = { beforeFirstCall, dockerode: loaded("dockerode"), ssh2: loaded("ssh2"), grpc: loaded("@grpc/grpc-js"), tarFs: standIn() };
    // The stand-in sits in debug/src/index.js's entry; the real one loads its src/node.js.
    const realDebug = () => Object.keys(require.cache).some((f) => f.endsWith("/node_modules/debug/src/node.js"));
    out.debug = realDebug();
    out.readable = loaded("readable-stream");
    const fromModem = createRequire(fromDockerode.resolve("docker-modem"));
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DEBUG: "", DOCKER_HOST: "unix:///nonexistent/docker.sock", ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
}

describe("dockerode's unused transports", () => {
  it("are not loaded with the engine", () => {
    expect(probe("")).toEqual({
      beforeFirstCall: false,
      dockerode: true,
      ssh2: false,
      grpc: false,
      tarFs: true,
      debug: false,
      readable: false,
    });
  });

  it("load on first use: HttpDuplex (constructed with new) is the real readable-stream duplex", () => {
    const out = probe(`
      const HttpDuplex = fromModem("./http_duplex.js");
      const { PassThrough } = await import("node:stream");
      const res = new PassThrough();
      const duplex = new HttpDuplex(new PassThrough(), res);
      out.real = duplex instanceof fromModem("./http_duplex.js") && typeof duplex.connect === "function";
      out.readableAfter = loaded("readable-stream");
      res.end("hi");
      out.read = await new Promise((resolve) => duplex.once("data", (c) => resolve(c.toString())));`);
    expect(out).toMatchObject({ readable: false, real: true, readableAfter: true, read: "hi" });
  });

  it("debug stays unloaded through requests without $DEBUG, and logs for real with DEBUG=modem", () => {
    const body = `
      const modemDebug = fromModem("debug")("modem");
      modemDebug("Sending: %s", "x");
      out.debugAfterCall = realDebug();
      // Another package's use of the same module (simple-git's debug.formatters, ...) is the real one.
      out.formatters = typeof fromModem("debug").formatters;
      out.debugAfterOther = realDebug();`;
    expect(probe(body)).toMatchObject({
      debug: false,
      debugAfterCall: false,
      formatters: "object",
      debugAfterOther: true,
    });
    // With DEBUG=modem the engine's first request (the probe's ping) already logs for real.
    const r = probe(body, { DEBUG: "modem" });
    expect(r).toMatchObject({ debug: true, debugAfterCall: true });
  });

  it("load on first use: the ssh transport gives docker-modem a real agent", () => {
    const out = probe(`
      const ssh = createRequire(fromDockerode.resolve("docker-modem"))("./ssh.js");
      const agent = ssh({ host: "127.0.0.1", port: 9 });
      out.agent = agent instanceof (await import("node:http")).Agent;
      out.sshAfter = loaded("ssh2");`);
    expect(out).toMatchObject({ ssh2: false, agent: true, sshAfter: true });
  });

  it("load on first use: the BuildKit session runs for real (here: reports the dial error)", () => {
    const out = probe(`
      const withSession = fromDockerode("./session.js");
      const fakeDocker = { modem: { dial: (_opts, cb) => cb(new Error("no daemon here")) } };
      out.error = await new Promise((resolve) => withSession(fakeDocker, {}, (err) => resolve(err.message)));
      out.grpcAfter = loaded("@grpc/grpc-js");`);
    expect(out).toMatchObject({ grpc: false, error: "no daemon here", grpcAfter: true });
  });

  it("load on first use: dockerode's tar-fs packs a directory for real", () => {
    const out = probe(`
      const tar = require.cache[tarFs].exports;
      const chunks = [];
      for await (const c of tar.pack(${JSON.stringify(join(ROOT, "engine"))})) chunks.push(c);
      const archive = Buffer.concat(chunks);
      // The first header's name field (100 bytes), then whether this feature's own file is in it.
      out.first = archive.subarray(0, 100).toString("utf8").split(String.fromCharCode(0))[0];
      out.file = archive.includes("deferred-transports.ts");
      out.realAfter = !standIn();`);
    expect(out).toMatchObject({ tarFs: true, realAfter: true, first: ".", file: true });
  });

  it("load on first use: swarm objects are dockerode's own, with their methods", () => {
    const out = probe(`
      const Docker = require("dockerode");
      const docker = new Docker({ socketPath: "/nonexistent/docker.sock" });
      const service = docker.getService("web");
      out.service = service instanceof fromDockerode("./service.js") && typeof service.inspect === "function";
      out.serviceId = service.id;
      out.node = typeof docker.getNode("n1").update;
      out.secret = docker.getSecret("s1").id;`);
    expect(out).toMatchObject({ service: true, serviceId: "web", node: "function", secret: "s1" });
  });

  it("https and zlib load on first use inside dockerode, and nobody else sees the stand-ins", () => {
    const out = probe(`
      const builtin = (name) => process.moduleLoadList.includes("NativeModule " + name);
      out.httpsAtLoad = builtin("https");
      out.zlibAtLoad = builtin("zlib");
      // A bare require elsewhere gets Node's own module, not the view dockerode keeps.
      out.bareHttps = require("https") === require("node:https");
      out.cacheLeft = Object.hasOwn(require.cache, "https") || Object.hasOwn(require.cache, "zlib");
      // docker-modem's https wrapper reaches the real module's request through the view.
      const wrapped = fromModem("./http.js").https;
      out.request = Object.getPrototypeOf(wrapped).request === require("node:https").request;
      out.gzip = typeof require("node:zlib").createGzip;`);
    expect(out).toMatchObject({
      httpsAtLoad: false,
      zlibAtLoad: false,
      bareHttps: true,
      cacheLeft: false,
      request: true,
      gzip: "function",
    });
  });
});
