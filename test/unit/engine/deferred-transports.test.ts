import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

// engine/deferred-transports.ts keeps dockerode's ssh transport (ssh2), BuildKit session
// (@grpc/grpc-js) and own tar-fs from loading with dockerode, and loads each when it is first
// called. Run in a fresh process: this test process may have loaded dockerode in full already.

function probe(body: string): Record<string, unknown> {
  const script = `
    import { createRequire } from "node:module";
    const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
    const loaded = (pkg) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + pkg + "/"));
    const { DockerEngine } = await import(${JSON.stringify(join(ROOT, "engine", "index.ts"))});
    new DockerEngine();
    const dockerodeMain = require.resolve("dockerode");
    const fromDockerode = createRequire(dockerodeMain);
    const tarFs = fromDockerode.resolve("tar-fs");
    const standIn = () => require.cache[tarFs]?.exports.pack.name === "deferred";
    const out = { dockerode: loaded("dockerode"), ssh2: loaded("ssh2"), grpc: loaded("@grpc/grpc-js"), tarFs: standIn() };
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
}

describe("dockerode's unused transports", () => {
  it("are not loaded with the engine", () => {
    expect(probe("")).toEqual({ dockerode: true, ssh2: false, grpc: false, tarFs: true });
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
});
