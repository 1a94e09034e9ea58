import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRow, StageRow } from "../../store/index.js";
import { git } from "../helpers/fixture-repo.js";
import { createOrigin, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

/** What a probe commits on its own branch: files by path, and symbolic links (path → target). */
export interface ProbeCommit {
  files?: Record<string, string>;
  symlinks?: Record<string, string>;
}

export interface ProbeResult {
  run: RunRow;
  stages: StageRow[];
  /** Every log of the run (setup and stages) joined: messages must never show host paths. */
  logs: string;
  stage(name: string): StageRow | undefined;
  /** The `error:` / `stage failed:` lines of the logs: what the refusal told the pipeline's author. */
  errors: string;
}

/**
 * One origin repository and one real `slipway serve` daemon for a file of probes. Each probe
 * commits its hostile tree on its own `feature/<name>` branch and triggers a run of it, so the
 * probes share the daemon (a crash would fail every later probe) but not their inputs.
 */
export class ProbeLab {
  readonly hostDir = mkdtempSync(join(tmpdir(), "slipway-host-"));
  private readonly origin = createOrigin({ "README.md": "probe repository\n" });
  daemon!: TestDaemon;

  constructor(
    private readonly repoConfig: Record<string, string | boolean> = {},
    readonly repo = "sec",
  ) {}

  async start(extraRepos: { name: string; trusted: boolean }[] = []): Promise<void> {
    const keys = Object.entries(this.repoConfig).map(([k, v]) => `    ${k}: ${v}\n`);
    const extra = extraRepos.map(
      (r) => `  - name: ${r.name}\n    url: ${this.origin.bare}\n    trusted: ${r.trusted}\n`,
    );
    this.daemon = await startTestDaemon(
      `concurrency: 2\nrepositories:\n  - name: ${this.repo}\n    url: ${this.origin.bare}\n${keys.join("")}${extra.join("")}`,
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.origin.cleanup();
    rmSync(this.hostDir, { recursive: true, force: true });
  }

  /** Commits the probe's tree on `feature/<branch>` (from main) and pushes it. */
  commit(branch: string, tree: ProbeCommit): string {
    const work = this.origin.work;
    git(work, "checkout", "-q", "main");
    git(work, "checkout", "-qb", `feature/${branch}`);
    for (const [rel, body] of Object.entries(tree.files ?? {})) {
      mkdirSync(join(work, rel, ".."), { recursive: true });
      writeFileSync(join(work, rel), body);
    }
    for (const [rel, target] of Object.entries(tree.symlinks ?? {})) {
      mkdirSync(join(work, rel, ".."), { recursive: true });
      symlinkSync(target, join(work, rel));
    }
    git(work, "add", "-A");
    git(work, "commit", "-qm", `probe ${branch}`);
    git(work, "push", "-q", "origin", `feature/${branch}`);
    return `refs/heads/feature/${branch}`;
  }

  /** Commits, runs it on the daemon (optionally as another configured repository) and waits. */
  async probe(branch: string, tree: ProbeCommit, repo = this.repo): Promise<ProbeResult> {
    this.commit(branch, tree);
    return this.run(`feature/${branch}`, repo);
  }

  async run(ref: string, repo = this.repo): Promise<ProbeResult> {
    const created = await this.daemon.api<{ run: RunRow }>("POST", `/api/repos/${repo}/runs`, { ref });
    if (created.status !== 201 && created.status !== 200 && created.status !== 202)
      throw new Error(`trigger answered ${created.status}: ${JSON.stringify(created.body)}`);
    const { run, stages } = await this.daemon.waitForRun(created.body.run.id);
    const logs: string[] = [];
    for (const name of ["_setup", ...stages.map((s) => s.name)]) {
      const res = await this.daemon.api<string>("GET", `/api/runs/${run.id}/logs/${name}`);
      if (typeof res.body === "string") logs.push(res.body);
    }
    const all = logs.join("\n");
    const errors = all
      .split("\n")
      .filter((l) => /\b(error|stage failed|SLIPWAY_E_)/.test(l))
      .join("\n");
    return { run, stages, logs: all, errors, stage: (name) => stages.find((s) => s.name === name) };
  }

  /** The daemon still answers and its data dir path appears nowhere in what a pipeline sees. */
  async healthy(): Promise<boolean> {
    const res = await fetch(`${this.daemon.url}/healthz`);
    return res.ok;
  }

  /** Host paths a message must never contain: the data dir, the host temp dir, the checkout root. */
  hostPaths(): string[] {
    return [this.daemon.dataDir, this.hostDir, tmpdir()].filter((p) => p.length > 1);
  }
}

/** A pipeline with one busybox build stage running `commands` and collecting `artifacts`. */
export function buildPipeline(commands: string[], artifacts: string[], extra = ""): string {
  return [
    "name: probe",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: build",
    "    builder: box",
    `    commands: ${JSON.stringify(commands)}`,
    `    artifacts: ${JSON.stringify(artifacts)}`,
    extra,
    "",
  ].join("\n");
}

/** A pipeline with one compose stage `it` over `file`, running `command` in service `t`. */
export function composePipeline(file: string, command = "true"): string {
  return [
    "name: probe",
    "stages:",
    "  - name: it",
    "    compose:",
    `      file: ${JSON.stringify(file)}`,
    `      run: { service: t, command: ${JSON.stringify(command)} }`,
    "    timeout: 3m",
    "",
  ].join("\n");
}

/** A compose file with a busybox service `t` and `extra` lines inside it (indented 4). */
export function composeFile(extra: string[] = [], tail: string[] = []): string {
  return ["services:", "  t:", "    image: busybox:latest", ...extra.map((l) => `    ${l}`), ...tail, ""].join("\n");
}
