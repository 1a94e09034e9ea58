import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetch } from "undici";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../../compose/index.js";
import type { EnvironmentTarget, ExecutorOptions } from "../../../deploy/index.js";
import { DockerEngine } from "../../../engine/index.js";
import { parsePipeline } from "../../../pipelines/index.js";
import { openStore, type Store } from "../../../store/index.js";
import { ROOT } from "../../helpers/fixture-repo.js";

export const FIXTURES = join(ROOT, "test/fixtures/deploy");
export const APP = "slipway-deploy-test/app";
export const engine = new DockerEngine();

async function dirHash(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const name of (await readdir(dir)).sort()) h.update(name).update(await readFile(join(dir, name)));
  return h.digest("hex").slice(0, 12);
}

/** Builds a fixture image once per content: the tag carries the directory's hash. */
async function buildOnce(dir: string, repo: string, args: Record<string, string> = {}, tag?: string): Promise<string> {
  const ref = `${repo}:${tag ?? (await dirHash(dir))}`;
  if (!(await engine.imageId(ref))) await engine.buildImage({ context: dir, tags: [ref], buildArgs: args });
  return ref;
}

/** The HAProxy image (apt-get inside: ~1 min the first time, then reused by tag). */
export function lbImage(): Promise<string> {
  return buildOnce(join(FIXTURES, "lb"), "slipway-deploy-test/lb");
}

/** `slipway-deploy-test/app:<version>`; `healthy: false` builds one whose healthcheck fails. */
export async function appImage(version: string, healthy = true): Promise<string> {
  const hash = await dirHash(join(FIXTURES, "app"));
  return buildOnce(
    join(FIXTURES, "app"),
    APP,
    { VERSION: version, HEALTHY: healthy ? "1" : "0" },
    `${version}-${hash}`,
  );
}

/** `slipway-deploy-test/app:<version>` that is healthy at first, then exits after `seconds`. */
export async function exitingAppImage(version: string, seconds: number): Promise<string> {
  const hash = await dirHash(join(FIXTURES, "app"));
  return buildOnce(
    join(FIXTURES, "app"),
    APP,
    { VERSION: version, HEALTHY: "1", EXIT_AFTER: String(seconds) },
    `${version}-exits-${seconds}-${hash}`,
  );
}

const PIPELINE = (update: string, extra: string) => `name: shop
image: ${APP}
environments:
  staging:
    compose: compose.yml
    update: { drain: 1s${update} }
${extra}stages:
  - { name: deploy, deploy: staging }
`;

/** A fresh environment: its own compose project, compose file copy, SQLite store. */
export class TestEnvironment implements AsyncDisposable {
  private constructor(
    readonly dir: string,
    readonly project: string,
    readonly store: Store,
    readonly lb: string,
    private readonly update: string,
    private readonly extra: string,
  ) {}

  /** `update` is appended inside `update: {...}`; `keys` are more lines of the environment (4 spaces in). */
  static async create(opts: { update?: string; keys?: string } = {}): Promise<TestEnvironment> {
    const dir = await mkdtemp(join(tmpdir(), "slipway-deploy-"));
    await cp(join(FIXTURES, "compose.yml"), join(dir, "compose.yml"));
    const project = `slipway-deploy-test-${Math.random().toString(36).slice(2, 8)}`;
    const store = await openStore(undefined, { dataDir: dir });
    return new TestEnvironment(dir, project, store, await lbImage(), opts.update ?? "", opts.keys ?? "");
  }

  target(version: string, image: string): EnvironmentTarget {
    const parsed = parsePipeline(PIPELINE(this.update, this.extra), "slipway.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const environment = parsed.pipeline.environments.staging;
    if (!environment) throw new Error("no environment");
    return {
      repository: "shop",
      environment,
      project: this.project,
      composeFile: join(this.dir, "compose.yml"),
      version,
      variables: { IMAGE: image, LB_IMAGE: this.lb },
    };
  }

  options(extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
    const lines: string[] = [];
    return { engine, records: this.store.deployments, holder: "test-runner", log: (l) => lines.push(l), ...extra };
  }

  async lbUrl(): Promise<string> {
    const lb = (
      await engine.listResources([`${COMPOSE_LABEL.project}=${this.project}`, `${COMPOSE_LABEL.service}=lb`])
    )[0];
    if (!lb) throw new Error("no lb container");
    const port = await hostPort(lb.id);
    return `http://127.0.0.1:${port}`;
  }

  /** Images of the running app containers. */
  async appImages(): Promise<string[]> {
    const list = await engine.listResources([
      `${COMPOSE_LABEL.project}=${this.project}`,
      `${COMPOSE_LABEL.service}=app`,
    ]);
    const out: string[] = [];
    for (const r of list) {
      const c = await engine.inspectContainer(r.id);
      if (c.running) out.push(c.image ?? "");
    }
    return out.sort();
  }

  async containerIds(service: string): Promise<string[]> {
    const list = await engine.listResources([
      `${COMPOSE_LABEL.project}=${this.project}`,
      `${COMPOSE_LABEL.service}=${service}`,
    ]);
    return list.map((r) => r.id).sort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const cli = await detectCompose();
    await runCompose(
      cli,
      { project: this.project, files: [join(this.dir, "compose.yml")], projectDirectory: this.dir },
      { kind: "down", stopTimeoutSeconds: 1 },
      { env: { IMAGE: "busybox:latest", LB_IMAGE: this.lb } },
    );
    await this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function hostPort(id: string): Promise<string> {
  const { default: Docker } = await import("dockerode");
  const info = await new Docker().getContainer(id).inspect();
  const binding = info.NetworkSettings.Ports["8080/tcp"]?.[0];
  if (!binding) throw new Error("lb publishes no port");
  return binding.HostPort;
}

/** What the load generator saw. */
export interface LoadReport {
  ok: number;
  failed: number;
  errors: string[];
  versions: Record<string, number>;
}

/**
 * Sends GET /version to the load balancer without pause from `concurrency` loops until
 * stopped, bounded by `maxSeconds` whatever happens; 127.0.0.1 only. The loops run in a
 * child process at nice 19 (load-child.mjs): they stand for the users' clients, which do not
 * run on the deploy host; at normal priority they took CPU from the compose processes the
 * executor starts (~0.4 s of a 12 s upgrade on 2 cores). Resolves once the first request has
 * answered.
 */
export async function startLoad(
  url: string,
  opts: { concurrency?: number; maxSeconds?: number } = {},
): Promise<{ stop: () => Promise<LoadReport> }> {
  const child = spawn(
    "nice",
    ["-n", "19", process.execPath, LOAD_CHILD, url, String(opts.concurrency ?? 2), String(opts.maxSeconds ?? 180)],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d;
      if (err.includes("ready\n")) resolve();
    });
    exited.then((code) => reject(new Error(`load generator exited (${code}) before its first request: ${err}`)));
  });
  return {
    stop: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`load generator exited ${code}: ${err}`);
      return JSON.parse(out) as LoadReport;
    },
  };
}

const LOAD_CHILD = join(ROOT, "test", "integration", "deploy", "load-child.mjs");

/** Asks the LB `count` times and returns the versions it answered with. */
export async function sample(url: string, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await (await fetch(`${url}/version`)).text()).trim());
  return out;
}
