import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import {
  type ComposeCli,
  type ComposeCommand,
  type ComposeExecResult,
  type ComposeTarget,
  detectCompose,
  runCompose,
} from "../compose/index.js";
import { LABEL } from "../engine/index.js";
import type { EnvironmentDef } from "../pipelines/index.js";
import { DeployError } from "./errors.js";
import { readServiceSpecs, type ServiceSpec } from "./service-spec.js";

/** One version of one environment, as compose sees it. */
export interface EnvironmentTarget {
  repository: string;
  environment: EnvironmentDef;
  /** Compose project name of the environment. */
  project: string;
  /** Absolute path of the environment's compose file. */
  composeFile: string;
  version: string;
  /** Interpolation variables of this version (`IMAGE`, `SLIPWAY_VERSION`, ...). */
  variables: Record<string, string>;
}

/**
 * Runs compose for an environment: the user's file plus a generated one that only adds
 * Slipway's labels to every service, with the user file's directory as project directory
 * (paths in the file mean what they mean by hand). The labels never change between versions,
 * so they never make compose recreate anything by themselves.
 */
export class EnvironmentCompose {
  private constructor(
    readonly target: EnvironmentTarget,
    private readonly cli: ComposeCli,
    private readonly composeTarget: ComposeTarget,
    private readonly log: (line: string) => void,
  ) {}

  static async open(target: EnvironmentTarget, log: (line: string) => void = () => {}): Promise<EnvironmentCompose> {
    const cli = await detectCompose();
    const source = await readFile(target.composeFile, "utf8").catch((err: Error) => {
      throw new DeployError("SLIPWAY_E_DEPLOY_COMPOSE_FAILED", `cannot read ${target.composeFile}: ${err.message}`);
    });
    const services = Object.keys(((parse(source) ?? {}) as { services?: object }).services ?? {});
    const labels = {
      [LABEL.role]: "environment",
      [LABEL.environment]: `${target.repository}/${target.environment.name}`,
    };
    const dir = join(tmpdir(), "slipway-environments", target.project);
    await mkdir(dir, { recursive: true });
    const labelsFile = join(dir, "slipway-labels.yml");
    const doc = { services: Object.fromEntries(services.map((s) => [s, { labels }])) };
    await writeFile(labelsFile, stringify(doc));
    const composeTarget: ComposeTarget = {
      project: target.project,
      files: [target.composeFile, labelsFile],
      projectDirectory: dirname(target.composeFile),
    };
    return new EnvironmentCompose(target, cli, composeTarget, log);
  }

  /** Same stack, another version (for a rollback). */
  withVersion(version: string, variables: Record<string, string>): EnvironmentCompose {
    return new EnvironmentCompose({ ...this.target, version, variables }, this.cli, this.composeTarget, this.log);
  }

  async run(cmd: ComposeCommand, what: string): Promise<ComposeExecResult> {
    const result = await runCompose(this.cli, this.composeTarget, cmd, {
      env: this.target.variables,
      onLine: cmd.kind === "up" ? this.log : undefined,
    });
    if (result.exitCode !== 0) {
      const tail = `${result.out}\n${result.err}`.trim().split("\n").slice(-15).join("\n");
      throw new DeployError("SLIPWAY_E_DEPLOY_COMPOSE_FAILED", `${what} failed (exit ${result.exitCode}):\n${tail}`);
    }
    return result;
  }

  /** The target's service specs: compose's resolved model and config hashes for this version. */
  async specs(): Promise<{ specs: ServiceSpec[]; images: string[] }> {
    // Two compose processes at once: each costs a (Python) start-up on compose v1.
    const [config, hashOut] = await Promise.all([
      this.run({ kind: "config" }, `compose config of ${this.target.project}`),
      this.run({ kind: "config", hash: true }, `compose config --hash of ${this.target.project}`),
    ]);
    const hashes: Record<string, string> = {};
    for (const line of hashOut.out.split("\n")) {
      const [service, hash] = line.trim().split(/\s+/);
      if (service && hash) hashes[service] = hash;
    }
    const specs = readServiceSpecs(config.out, hashes, this.target.environment);
    const model = (parse(config.out) ?? {}) as { services?: Record<string, { image?: string; build?: unknown }> };
    const images = Object.values(model.services ?? {})
      .filter((s) => typeof s.image === "string" && s.build === undefined)
      .map((s) => s.image as string);
    return { specs, images: [...new Set(images)] };
  }
}
