import { createRequire, Module } from "node:module";

// Imported for its effect, by docker-engine.ts, before dockerode.
//
// dockerode requires, when it is loaded, code that a connection over the local socket (or
// tcp) with Slipway's calls never runs: docker-modem's ssh transport (for DOCKER_HOST=ssh://,
// which loads ssh2, its crypto and the cpu-features addon), dockerode's BuildKit session (for
// `version: "2"` builds, which loads @grpc/grpc-js and protobufjs) and its own copy of tar-fs
// (to pack a build context given as a directory; Slipway always passes a tar stream).
// Together they were about 75 ms of every `slipway run`, `gc` and `serve` start. Each of these
// files exports functions only; here a `require.cache` entry ("adding or replacing entries is
// also possible", Node's modules documentation) stands in for each, with functions of the
// same signatures that load the real file on their first call and hand over to it. Nothing
// else changes: an ssh:// DOCKER_HOST or a BuildKit build loads what it needs when it needs it.

const require = createRequire(import.meta.url);
// The copies dockerode itself loads: its own lib/session.js, and lib/ssh.js of the
// docker-modem it resolves (its main file is lib/docker.js, docker-modem's lib/modem.js).
const dockerodeMain = require.resolve("dockerode");
const modemMain = createRequire(dockerodeMain).resolve("docker-modem");

type Fn = (...args: unknown[]) => unknown;

/** `names`: the exported functions of a module that exports an object; none: it exports one function. */
function defer(filename: string, names?: string[]): void {
  if (require.cache[filename]) return; // already loaded for real (e.g. by a test's own dockerode)
  let real: unknown;
  const load = () => {
    if (real === undefined) {
      delete require.cache[filename];
      real = require(filename);
    }
    return real as Fn & Record<string, Fn>;
  };
  const stand = new Module(filename);
  stand.filename = filename;
  stand.loaded = true;
  if (names) {
    stand.exports = Object.fromEntries(
      names.map((name) => [
        name,
        function deferred(this: unknown, ...args: unknown[]) {
          return load()[name]?.apply(this, args);
        },
      ]),
    );
  } else {
    stand.exports = function deferred(this: unknown, ...args: unknown[]) {
      return load().apply(this, args);
    };
  }
  require.cache[filename] = stand;
}

const fromDockerode = createRequire(dockerodeMain);
defer(fromDockerode.resolve("./session.js"));
defer(createRequire(modemMain).resolve("./ssh.js"));
// tar-fs 2 (dockerode's own dependency) exports exactly these two.
defer(fromDockerode.resolve("tar-fs"), ["pack", "extract"]);
