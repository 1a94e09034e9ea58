#!/usr/bin/env node
// `npm run build`, after tsc: bundles the compiled CLI (dist/runner/cli.js and everything it
// imports, lazily imported verbs as chunks of their own) into dist/bundle/, which is what the
// `slipway` binary runs.
//
// Why: Node 20 loads ES modules one file at a time (resolve, read, compile, link), and a
// one-stage `slipway run` loaded about 190 files before its first git command, 73 of them
// the yaml library's. Importing the run's module graph took 77-93 ms from dist/ and 31-34 ms
// bundled, on a start-up whose whole budget over the `docker run` it wraps is ~100 ms.
// Node 20 has no module compile cache (`module.enableCompileCache` is Node 22).
//
// What is bundled: Slipway's own code and the pure-JavaScript packages of BUNDLED (with the
// packages they import). Everything else stays a runtime import from node_modules, as in
// dist/: native addons (better-sqlite3, ssh2's cpu-features), what reads its own files at run
// time (fastify's and pino's plugins and workers), and dockerode with docker-modem, whose
// rarely used transports engine/deferred-transports.ts defers through require.cache, which
// only sees files loaded by Node itself.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "bundle");

/** Packages our code imports that go into the bundle (their own imports come along). */
const BUNDLED = new Set(["tar-stream", "tar-fs", "@balena/dockerignore", "fast-xml-parser"]);

/**
 * Packages only core/ loads, on first use, each bundled into one CommonJS file of its own in
 * dist/bundle/vendor/ that only that `require` reads. In a chunk, they were parsed by every
 * command that imports core/ (all of them, for its errors): yaml and picomatch are 317 KB of
 * the 332 KB chunk that `slipway --help` and `slipway runs` loaded, ~8 ms of each.
 */
const VENDORED = ["yaml", "picomatch"];

/**
 * core/ and engine/ load some packages on first use through `createRequire(import.meta.url)`
 * (so a client verb never pays for them); a bundler does not follow such a call, and the
 * bundle would load a second copy from node_modules at run time. Here each becomes a plain
 * `require(...)`: of the bundled package, which esbuild still evaluates only on first call,
 * or of its vendored file. The build fails when one of them no longer matches, rather than
 * shipping the second copy.
 */
const LAZY_REQUIRES = [
  { file: "dist/core/yaml-source.js", from: 'requireLib("yaml")', to: 'require("./vendor/yaml.cjs")' },
  { file: "dist/core/glob.js", from: 'requireLib("picomatch")', to: 'require("./vendor/picomatch.cjs")' },
  {
    file: "dist/engine/build-context.js",
    from: 'createRequire(import.meta.url)("@balena/dockerignore")',
    to: 'require("@balena/dockerignore")',
  },
];

const packageName = (spec) => spec.split("/", spec.startsWith("@") ? 2 : 1).join("/");
const isBare = (spec) => !/^(\.|\/|node:)/.test(spec) && !spec.startsWith("data:");

const slipwayPlugin = {
  name: "slipway-bundle",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      // A vendored file is read at run time, beside the chunk that requires it.
      if (args.path.startsWith("./vendor/")) return { path: args.path, external: true };
      if (!isBare(args.path) || args.kind === "entry-point") return undefined;
      // A bundled package's own imports are bundled with it; our code's go in only when listed.
      const fromPackage = args.importer.includes("/node_modules/");
      if (fromPackage || BUNDLED.has(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
    for (const { file, from, to } of LAZY_REQUIRES) {
      const abs = join(ROOT, file);
      b.onLoad({ filter: new RegExp(`${abs.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`) }, () => {
        const text = readFileSync(abs, "utf8");
        if (!text.includes(from)) throw new Error(`${file} no longer contains ${from}: update bin/bundle-cli.mjs`);
        return { contents: text.split(from).join(to), loader: "js" };
      });
    }
  },
};

/**
 * The build's identity (runner/build-id.ts): a hash of the version and of every file tsc just
 * wrote, the bundle's whole input (the bundled packages come with the lockfile's versions). The
 * same sources give the same id; any change of them another.
 */
function buildId() {
  const hash = createHash("sha256").update(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && path !== OUT && !path.startsWith(`${OUT}-`)) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".js"))
        hash.update(`${path.slice(ROOT.length)}\0`).update(readFileSync(path));
    }
  };
  walk(join(ROOT, "dist"));
  return hash.digest("hex").slice(0, 32);
}

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: join(ROOT, "dist/runner/cli.js") },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  define: { SLIPWAY_BUILD_ID: JSON.stringify(buildId()) },
  // The bundled CommonJS packages call `require` (for Node's own modules and for the packages
  // left outside); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __slipwayRequire } from "node:module"; const require = __slipwayRequire(import.meta.url);',
  },
  chunkNames: "chunk-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [slipwayPlugin],
});
// Which source files each output file holds: test/integration/cli/lazy-imports.test.ts reads
// it to tell which of Slipway's modules a verb loaded.
writeFileSync(join(OUT, "meta.json"), JSON.stringify(result.metafile));
// The vendored packages, as CommonJS (both are CommonJS packages: no interop shim).
await build({
  entryPoints: Object.fromEntries(VENDORED.map((name) => [name, createRequire(import.meta.url).resolve(name)])),
  outdir: join(OUT, "vendor"),
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
});
