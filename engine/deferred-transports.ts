import { createRequire, Module } from "node:module";
import type Docker from "dockerode";

// docker-engine.ts gets dockerode from here (`loadDockerode`), so the stand-ins below are in
// place before dockerode's first require, whatever a bundler does with import order (the CLI's
// bundle hoists external imports above inlined code; dist/bundle, bin/bundle-cli.mjs).
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
// Two more, needed only now and then: docker-modem's HttpDuplex (a hijacked, stdin-attached
// stream, which loads readable-stream: Slipway never attaches stdin) and `debug`, which
// docker-modem calls on every request but which prints nothing unless $DEBUG names it.

const require = createRequire(import.meta.url);
// The copies dockerode itself loads: its own lib/session.js, and lib/ssh.js of the
// docker-modem it resolves (its main file is lib/docker.js, docker-modem's lib/modem.js).
const dockerodeMain = require.resolve("dockerode");
const modemMain = createRequire(dockerodeMain).resolve("docker-modem");

type Fn = (...args: unknown[]) => unknown;

/** `names`: the exported functions of a module that exports an object; none: it exports one function. */
function defer(filename: string, names?: string[]): void {
  const load = standIn(filename);
  if (!load) return;
  const stand = require.cache[filename] as Module;
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
      // Called with `new` (a constructor such as HttpDuplex): construct the real one.
      if (new.target) return Reflect.construct(load(), args);
      return load().apply(this, args);
    };
  }
}

/**
 * Puts an empty module in `filename`'s require.cache entry; returns the loader of the real
 * one (which takes the entry back), or undefined when the real one is loaded already (e.g. by
 * a test's own dockerode).
 */
function standIn(filename: string): (() => Fn & Record<string, Fn>) | undefined {
  if (require.cache[filename]) return undefined;
  let real: unknown;
  const stand = new Module(filename);
  stand.filename = filename;
  stand.loaded = true;
  require.cache[filename] = stand;
  return () => {
    if (real === undefined) {
      if (require.cache[filename] === stand) delete require.cache[filename];
      real = require(filename);
    }
    return real as Fn & Record<string, Fn>;
  };
}

/**
 * `debug` as docker-modem uses it (`require("debug")("modem")`, then calls): the namespace's
 * logger loads the real module on its first call when $DEBUG is set (it prints nothing
 * otherwise) or the real module is loaded already. Anything else done with the module (another
 * package's `debug("x")`, `debug.enable`, `debug.formatters`, ...) loads the real one at once.
 */
function deferDebug(filename: string): void {
  const load = standIn(filename);
  if (!load) return;
  let loaded = false;
  const real = () => {
    loaded = true;
    return load();
  };
  const stand = require.cache[filename] as Module;
  stand.exports = new Proxy(() => {}, {
    apply(_target, thisArg, args: unknown[]) {
      if (args[0] !== "modem" || loaded) return real().apply(thisArg, args);
      let logger: Fn | undefined;
      return (...line: unknown[]) => {
        if (!logger && (loaded || process.env.DEBUG)) logger = real()("modem") as Fn;
        return logger?.(...line);
      };
    },
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
  });
}

const fromDockerode = createRequire(dockerodeMain);
defer(fromDockerode.resolve("./session.js"));
const fromModem = createRequire(modemMain);
defer(fromModem.resolve("./ssh.js"));
defer(fromModem.resolve("./http_duplex.js"));
deferDebug(fromModem.resolve("debug"));
// tar-fs 2 (dockerode's own dependency) exports exactly these two.
defer(fromDockerode.resolve("tar-fs"), ["pack", "extract"]);

// dockerode's swarm and plugin objects (each file exports its constructor), never made by
// Slipway, and docker-modem's split-ca (it splits a TLS CA bundle: tcp+TLS DOCKER_HOST only).
for (const swarmOnly of ["./service.js", "./plugin.js", "./secret.js", "./config.js", "./task.js", "./node.js"]) {
  defer(fromDockerode.resolve(swarmOnly));
}
defer(fromModem.resolve("split-ca"));

/**
 * Node's own modules that dockerode and docker-modem require when they load but use only
 * now and then: `https` (a tcp+TLS DOCKER_HOST; `http` stays real) and `zlib` (a gzipped
 * build context). While dockerode loads, a `require.cache` entry of the same bare name stands
 * for each ("only node:-prefixed require calls are going to receive the built-in module",
 * Node's modules documentation); the entries are taken out right after, so no other code
 * sees them. What dockerode keeps is a view of the module that loads the real one on its
 * first property read.
 */
function requireWithLazyBuiltins<T>(id: string, builtins: string[]): T {
  const placed: string[] = [];
  for (const name of builtins) {
    if (require.cache[name]) continue;
    let real: object | undefined;
    const load = () => {
      real ??= require(`node:${name}`) as object;
      return real;
    };
    const stand = new Module(name);
    stand.loaded = true;
    stand.exports = new Proxy(
      {},
      {
        get: (_target, key) => Reflect.get(load(), key),
        has: (_target, key) => Reflect.has(load(), key),
      },
    );
    require.cache[name] = stand;
    placed.push(name);
  }
  try {
    return require(id) as T;
  } finally {
    for (const name of placed) delete require.cache[name];
  }
}

/** dockerode's client class, required after the stand-ins above are in place. */
export function loadDockerode(): typeof Docker {
  return requireWithLazyBuiltins<typeof Docker>("dockerode", ["https", "zlib"]);
}
