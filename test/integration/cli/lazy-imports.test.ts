import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

// Runs the compiled CLI with hooks that record every module it resolves or requires, and checks
// that a verb loads only what it needs: the client verbs and --help talk HTTP at most, so
// the engine (dockerode), the store drivers (better-sqlite3, pg) and the server (fastify)
// must stay out; that is most of the start-up cost in a fresh container.

const dir = mkdtempSync(join(tmpdir(), "slipway-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = [
  /\/node_modules\/dockerode\//,
  /\/node_modules\/better-sqlite3\//,
  /\/node_modules\/pg\//,
  /\/node_modules\/fastify\//,
  /\/dist\/engine\//,
  /\/dist\/store\//,
  /\/dist\/runner\/serve\//,
];

/**
 * The bin runs the bundle (dist/bundle/, bin/bundle-cli.mjs): a loaded chunk stands for the
 * compiled modules and bundled packages it holds, as the bundler's metafile lists them.
 */
const meta = JSON.parse(readFileSync(join(ROOT, "dist/bundle/meta.json"), "utf8")) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};
function expandChunks(urls: string[]): string[] {
  return urls.flatMap((u) => {
    const m = /\/(dist\/bundle\/[^/]+\.js)$/.exec(u);
    const inputs = m?.[1] ? Object.keys(meta.outputs[m[1]]?.inputs ?? {}) : [];
    return [u, ...inputs.map((i) => `/${i}`)];
  });
}

let n = 0;
function loaded(args: string[], env: Record<string, string> = {}): { urls: string[]; status: number | null } {
  const log = join(dir, `imports-${n++}.log`);
  const r = spawnSync(
    process.execPath,
    ["--import", join(ROOT, "test/fixtures/module-hooks/record-imports.mjs"), join(ROOT, "bin/slipway.js"), ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      // Port 9 (discard) on loopback refuses: the client verbs fail fast, after their imports.
      env: { ...process.env, SLIPWAY_URL: "http://127.0.0.1:9", SLIPWAY_TEST_IMPORT_LOG: log, ...env },
    },
  );
  const urls = expandChunks(readFileSync(log, "utf8").split("\n").filter(Boolean));
  return { urls, status: r.status };
}

const heavyIn = (urls: string[]) => urls.filter((u) => HEAVY.some((h) => h.test(u)));

describe("each CLI verb imports only what it needs", () => {
  it.each([
    [["--help"]],
    [["runs"]],
    [["logs", "run-1"]],
    [["trigger", "hello", "develop"]],
    [["cancel", "run-1"]],
    [["retry", "run-1"]],
    [["token", "list"]],
    [["deploy", "staging", "develop-1", "--repo", "hello"]],
    [["confirm", "staging", "--repo", "hello"]],
    [["rollback", "staging", "--repo", "hello"]],
    [["status", "staging", "--repo", "hello"]],
    [["history", "staging", "--repo", "hello"]],
  ])("slipway %j loads neither the engine, the store nor the server", (args) => {
    const { urls, status } = loaded(args);
    expect(urls.some((u) => u.endsWith("/dist/bundle/cli.js"))).toBe(true);
    expect(urls.some((u) => u.endsWith("/dist/runner/cli.js"))).toBe(true);
    expect(heavyIn(urls)).toEqual([]);
    // Nor yaml and picomatch: bundled apart (dist/bundle/vendor/), they are not even parsed.
    expect(urls.filter((u) => /\/(vendor|node_modules)\/(yaml|picomatch)\b/.test(u))).toEqual([]);
    expect(status).toBe(args[0] === "--help" ? 0 : 1);
  });

  it("slipway validate loads the pipeline parser but not the engine", () => {
    const { urls } = loaded(["validate", join(ROOT, "examples/hello-node/slipway.yml")]);
    expect(urls.some((u) => u.includes("/dist/pipelines/"))).toBe(true);
    expect(heavyIn(urls)).toEqual([]);
    // yaml is read from its one vendored file: no chunk holds a second copy, and nothing loads
    // the package from node_modules.
    expect(urls.filter((u) => u.endsWith("/dist/bundle/vendor/yaml.cjs"))).toHaveLength(1);
    expect(urls.filter((u) => /\/node_modules\/yaml\//.test(u))).toEqual([]);
  });

  it("the hook does see the engine when a verb uses it (control)", () => {
    // The real engine: gc pings it (over node:http, dockerode loading meanwhile), then lists
    // what dead runs left through dockerode; --dry-run removes nothing. (A socket that does not
    // exist would fail the ping before dockerode is needed.)
    const { urls, status } = loaded(["gc", "--dry-run"]);
    expect(urls.some((u) => /\/node_modules\/dockerode\//.test(u))).toBe(true);
    // ... and the bundle's chunks are read for what they hold (the engine's compiled modules).
    expect(urls.some((u) => /\/dist\/engine\/docker-engine\.js$/.test(u))).toBe(true);
    // dockerode's unused transports stay deferred in the bundle too (engine/deferred-transports.ts):
    // a bundler hoisting dockerode above the deferral would load ssh2 and gRPC here.
    expect(urls.filter((u) => /\/node_modules\/(ssh2|@grpc|protobufjs|readable-stream)\//.test(u))).toEqual([]);
    expect(status).toBe(0);
  });
});
