import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type Engine, type LabelledResource, type Liveness, slipwayLabels } from "../engine/index.js";
import { abortable, settleWithin } from "./abort.js";
import { type ComposeCli, type ComposeExecResult, detectCompose, runCompose, tailLines } from "./cli.js";
import type { ComposeTarget } from "./cli-args.js";
import { ComposeError } from "./errors.js";
import { buildOverride, type StackFile } from "./override.js";
import { COMPOSE_LABEL } from "./readiness.js";

/** Label on everything of one stack (services, networks, volumes, probe and builder containers). */
export const STACK_LABEL = "io.slipway.stack";

/** What an ephemeral stack is made from. */
export interface StackOptions {
  engine: Engine;
  /** Detected when omitted. */
  cli?: ComposeCli;
  /** The user's compose file (absolute, or relative to the current directory). */
  file: string;
  /** Unique, sanitized project name (see `stackProjectName`). */
  project: string;
  owner: string;
  runId: string;
  stage: string;
  /** Environment of every compose process of this stack (`IMAGE`, `SLIPWAY_*`, ...). */
  env: Record<string, string>;
  log(line: string): void;
  /** Owner process identity for the labels; this process by default. */
  liveness?: Liveness;
}

/** The text of a compose file; a missing or unreadable one is SLIPWAY_E_COMPOSE_FILE naming it as the user wrote it. */
export async function readComposeSource(path: string, shownAs: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    // The errno message would name the host path; the code is enough next to the repo path.
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new ComposeError("SLIPWAY_E_COMPOSE_FILE", `cannot read compose file ${shownAs} (${code})`, {
      cause: err,
    });
  }
}

/**
 * One isolated copy of a compose stack. Call order: `create` → `up` → (readiness, tests) →
 * `down`; `down` is idempotent, runs on `await using`, and is safe while `up` or a test run is
 * still in flight (it first waits for `up`, then kills test containers, then `down -v`).
 * Everything carries Slipway's labels, including the owner's liveness, so `collectGarbage`
 * removes what a killed runner left behind.
 */
export class EphemeralStack implements AsyncDisposable {
  readonly labels: Record<string, string>;
  readonly target: ComposeTarget;
  private readonly inflightUp = new Set<Promise<unknown>>();
  private readonly inflightRuns = new Set<Promise<unknown>>();
  private downing: Promise<void> | undefined;

  private constructor(
    private readonly opts: StackOptions,
    readonly cli: ComposeCli,
    readonly spec: StackFile,
    private readonly tempDir: string,
    labels: Record<string, string>,
  ) {
    this.labels = labels;
    this.target = {
      project: opts.project,
      files: [join(tempDir, "docker-compose.yml")],
      projectDirectory: dirname(resolve(opts.file)),
    };
  }

  /** Reads the user's file, generates this stack's compose file into a fresh temp dir. */
  static async create(opts: StackOptions): Promise<EphemeralStack> {
    const file = resolve(opts.file);
    const source = await readComposeSource(file, opts.file);
    const labels = {
      ...slipwayLabels({
        owner: opts.owner,
        runId: opts.runId,
        role: "test-stack",
        stage: opts.stage,
        liveness: opts.liveness,
      }),
      [STACK_LABEL]: opts.project,
    };
    const spec = buildOverride({
      file: opts.file,
      source,
      projectDirectory: dirname(file),
      project: opts.project,
      labels,
    });
    const cli = opts.cli ?? (await detectCompose());
    const tempDir = await mkdtemp(join(tmpdir(), `${opts.project}-`));
    await writeFile(join(tempDir, "docker-compose.yml"), spec.yaml);
    return new EphemeralStack(opts, cli, spec, tempDir, labels);
  }

  get project(): string {
    return this.opts.project;
  }

  /** `up -d` of the given services (default: all without a profile); never pulls what is present. */
  async up(services: string[] = this.spec.defaultServices, signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    const result = await this.track(this.inflightUp, this.compose({ kind: "up", services }, signal), signal);
    if (result.exitCode !== 0) {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_UP",
        `compose up of ${this.project} failed (exit ${result.exitCode}):\n${tailLines(result, 20).join("\n")}`,
      );
    }
  }

  /** `run --rm -T` of a one-off service container; resolves with the command's exit code. */
  async runService(
    service: string,
    command: string[],
    env: Record<string, string>,
    volumes: string[],
    onLine: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<number> {
    this.assertOpen();
    const run = runCompose(
      this.cli,
      this.target,
      { kind: "run", service, command, env, volumes },
      { env: this.opts.env, onLine, signal },
    );
    return (await this.track(this.inflightRuns, run, signal)).exitCode;
  }

  /** Tracks a container started beside the stack (builder, probe) until it settles. */
  trackRun<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.track(this.inflightRuns, work, signal);
  }

  /** Engine name of one of the stack's networks (by its key in the compose file). */
  async networkName(key = "default"): Promise<string> {
    const nets = await this.opts.engine.listResources([
      `${COMPOSE_LABEL.project}=${this.project}`,
      `${COMPOSE_LABEL.network}=${key}`,
    ]);
    const net = nets.find((r) => r.kind === "network");
    if (!net) throw new ComposeError("SLIPWAY_E_COMPOSE_UP", `stack ${this.project} has no network "${key}"`);
    return net.name;
  }

  /** Last `tail` log lines of the given services (all when empty), as compose prints them. */
  async logs(services: string[], tail: number): Promise<string[]> {
    const result = await this.compose({ kind: "logs", services, tail });
    return result.out
      .split("\n")
      .map((l) => l.trimEnd())
      .filter((l) => l !== "" && !l.startsWith("Attaching to "));
  }

  /** Tears the stack down and removes its temp dir; idempotent. Throws SLIPWAY_E_COMPOSE_DOWN on leftovers. */
  down(): Promise<void> {
    this.downing ??= this.teardown();
    return this.downing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }

  private async teardown(): Promise<void> {
    const started = Date.now();
    // Racing `down` against a running `up` could let `up` create containers after `down`.
    await settleWithin(Promise.all(this.inflightUp), 60_000);
    // Test, probe and builder containers first: this also ends in-flight `compose run`s.
    const extra = (await this.resources()).filter(
      (r) => r.kind === "container" && (r.labels[COMPOSE_LABEL.oneoff] === "True" || !r.labels[COMPOSE_LABEL.service]),
    );
    await Promise.all(extra.map((r) => this.opts.engine.removeResource(r).catch(() => {})));
    const result = await this.compose({ kind: "down", stopTimeoutSeconds: 1 }).catch(
      (err: Error): ComposeExecResult => ({ exitCode: 1, out: "", err: err.message }),
    );
    if (result.exitCode !== 0)
      this.opts.log(`compose down of ${this.project} failed: ${tailLines(result, 5).join(" | ")}`);
    await settleWithin(Promise.all(this.inflightRuns), 15_000);
    const leftovers = await this.sweep();
    await rm(this.tempDir, { recursive: true, force: true });
    this.opts.log(`stack ${this.project} down in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (leftovers.length > 0) {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_DOWN",
        `stack ${this.project} left ${leftovers.map((r) => `${r.kind} ${r.name}`).join(", ")} behind; \`slipway gc\` removes them`,
      );
    }
  }

  /** Removes whatever `down` missed (a one-off without `--rm`, a volume in use at the time). */
  private async sweep(): Promise<LabelledResource[]> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const left = await this.resources();
      if (left.length === 0) return [];
      for (const kind of ["container", "network", "volume"] as const) {
        await Promise.all(
          left.filter((r) => r.kind === kind).map((r) => this.opts.engine.removeResource(r).catch(() => {})),
        );
      }
    }
    return this.resources();
  }

  private async resources(): Promise<LabelledResource[]> {
    const [ours, composes] = await Promise.all([
      this.opts.engine.listResources([`${STACK_LABEL}=${this.project}`]),
      this.opts.engine.listResources([`${COMPOSE_LABEL.project}=${this.project}`]),
    ]);
    const byId = new Map<string, LabelledResource>();
    for (const r of [...ours, ...composes]) byId.set(`${r.kind}:${r.id}`, r);
    return [...byId.values()];
  }

  private compose(cmd: Parameters<typeof runCompose>[2], signal?: AbortSignal): Promise<ComposeExecResult> {
    return runCompose(this.cli, this.target, cmd, {
      env: this.opts.env,
      signal,
      onLine: cmd.kind === "logs" ? undefined : (line) => this.opts.log(line),
    });
  }

  private track<T>(set: Set<Promise<unknown>>, work: Promise<T>, signal?: AbortSignal): Promise<T> {
    set.add(work);
    const forget = () => set.delete(work);
    work.then(forget, forget);
    return abortable(work, signal);
  }

  private assertOpen(): void {
    if (this.downing)
      throw new ComposeError("SLIPWAY_E_COMPOSE_CANCELLED", `stack ${this.project} is already torn down`);
  }
}
