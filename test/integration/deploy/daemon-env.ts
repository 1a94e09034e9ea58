import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../../compose/index.js";
import type { DeploymentRow, RunRow } from "../../../store/index.js";
import { type CliRun, runCli, startCli, TEST_OWNER } from "../../helpers/cli.js";
import { API_TOKEN, createOrigin } from "../../helpers/serve.js";
import { APP, appImage, engine, FIXTURES, lbImage } from "./helpers.js";

/**
 * A repository whose pipeline deploys `staging` (the deploy fixtures' app behind HAProxy,
 * plus a database) from develop runs, for tests that go through real daemons: each develop
 * run #N produces version `develop-N`, whose image `slipway-deploy-test/app:develop-N` the
 * test tags beforehand (an untagged N is a version "not present locally").
 */
export class DaemonEnvironment implements AsyncDisposable {
  private readonly tagged: string[] = [];

  private constructor(
    readonly project: string,
    readonly origin: ReturnType<typeof createOrigin>,
    private readonly lb: string,
  ) {}

  /** `update` is appended inside `update: {...}`; `keys` are more lines of the environment (4 spaces in). */
  static async create(opts: { update?: string; keys?: string[] } = {}): Promise<DaemonEnvironment> {
    const project = `slipway-envops-test-${Math.random().toString(36).slice(2, 8)}`;
    const lb = await lbImage();
    // The load balancer's image is written into the file: a run's variables carry only IMAGE.
    const compose = readFileSync(join(FIXTURES, "compose.yml"), "utf8").replace("${LB_IMAGE}", lb);
    const origin = createOrigin({
      "slipway.yml": [
        "name: shop",
        `image: ${APP}`,
        "environments:",
        "  staging:",
        "    compose: deploy/compose.yml",
        `    project: ${project}`,
        `    update: { drain: 1s${opts.update ?? ""} }`,
        ...(opts.keys ?? []),
        "stages:",
        "  - { name: deploy, deploy: staging }",
        "",
      ].join("\n"),
      "deploy/compose.yml": compose,
    });
    return new DaemonEnvironment(project, origin, lb);
  }

  /** The daemon configuration following this repository (no polling: runs are triggered). */
  config(name = "shop"): string {
    return `repositories:\n  - name: ${name}\n    url: ${this.origin.bare}\n    poll: false\n`;
  }

  /** Tags the fixture app (answering `/version` with `label`) as version `develop-<n>`. */
  async tagVersion(n: number, label: string, healthy = true): Promise<void> {
    const built = await appImage(label, healthy);
    const id = await engine.imageId(built);
    if (!id) throw new Error(`no image ${built}`);
    const ref = `${APP}:develop-${n}`;
    await engine.tagImage(id, ref);
    this.tagged.push(ref);
  }

  async lbUrl(): Promise<string> {
    const lb = (
      await engine.listResources([`${COMPOSE_LABEL.project}=${this.project}`, `${COMPOSE_LABEL.service}=lb`])
    )[0];
    if (!lb) throw new Error("no lb container");
    const port = execFileSync("docker", ["port", lb.id, "8080/tcp"], { encoding: "utf8" }).trim().split(":").pop();
    return `http://127.0.0.1:${port}`;
  }

  /** Ids of the environment's containers (any service), sorted: "nothing changed" compares these. */
  async containerIds(): Promise<string[]> {
    const list = await engine.listResources([`${COMPOSE_LABEL.project}=${this.project}`]);
    return list
      .filter((r) => r.kind === "container")
      .map((r) => r.id)
      .sort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const cli = await detectCompose();
    const dir = join(this.origin.work, "deploy");
    await runCompose(
      cli,
      { project: this.project, files: [join(dir, "compose.yml")], projectDirectory: dir },
      { kind: "down", stopTimeoutSeconds: 1 },
      { env: { IMAGE: "busybox:latest" } },
    );
    execFileSync("docker", ["volume", "rm", "-f", `${this.project}_data`], { stdio: "ignore" });
    for (const ref of this.tagged) await engine.removeImage(ref).catch(() => {});
    this.origin.cleanup();
  }
}

/** `slipway ...` against a daemon, as a user runs it. */
export function cli(url: string, ...args: string[]) {
  return runCli(args, { SLIPWAY_URL: url, SLIPWAY_TOKEN: API_TOKEN });
}

/** No two deployments of `rows` overlap in time (each from its creation to its end). */
export function overlapping(rows: DeploymentRow[]): [string, string][] {
  const out: [string, string][] = [];
  const spans = rows.map((r) => ({ id: r.id, from: r.createdAt, to: r.finishedAt ?? Number.POSITIVE_INFINITY }));
  for (const a of spans) {
    for (const b of spans) if (a.id < b.id && a.from < b.to && b.from < a.to) out.push([a.id, b.id]);
  }
  return out;
}

/** `slipway serve` as a child process (kill -9 is real), on a port the kernel picks. */
export async function startServe(
  dir: string,
  name: string,
  configYaml: string,
  extra: Record<string, string> = {},
): Promise<{ url: string; proc: CliRun; env: Record<string, string> }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "slipway.config.yml"), configYaml);
  const env = {
    SLIPWAY_CONFIG: join(dir, "slipway.config.yml"),
    SLIPWAY_DATA_DIR: join(dir, "data"),
    SLIPWAY_LISTEN: "127.0.0.1:0",
    SLIPWAY_RUNNER_ID: `${TEST_OWNER}-${name}`,
    SLIPWAY_API_TOKEN: API_TOKEN,
    ...extra,
  };
  const proc = startCli(["serve"], env);
  await proc.waitFor(/listening on (http:\/\/\S+),/);
  const url = /listening on (http:\/\/\S+),/.exec(proc.output())?.[1] ?? "";
  return { url, proc, env };
}

/** A JSON request to a daemon with the test token. */
export async function call<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Triggers a run of `ref` and waits for its end. */
export async function runToEnd(url: string, ref: string, repo = "shop"): Promise<RunRow> {
  const { body } = await call<{ run: RunRow }>(url, "POST", `/api/repos/${repo}/runs`, { ref });
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { body: detail } = await call<{ run: RunRow }>(url, "GET", `/api/runs/${body.run.id}`);
    if (!["queued", "running"].includes(detail.run.status)) {
      if (detail.run.status !== "success") {
        // What the run said, for the assertion's reader.
        for (const stage of ["_setup", "deploy"]) {
          const log = await fetch(`${url}/api/runs/${detail.run.id}/logs/${stage}`, {
            headers: { authorization: `Bearer ${API_TOKEN}` },
          });
          console.log(`run ${detail.run.id} (${detail.run.owner}) ${stage}:\n${(await log.text()).slice(-3000)}`);
        }
      }
      return detail.run;
    }
    if (Date.now() > deadline) throw new Error(`run ${body.run.id} still ${detail.run.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A run's status and error, for assertions that show why a run failed. */
export function brief(run: RunRow): [string, string | null] {
  return [run.status, run.error];
}
