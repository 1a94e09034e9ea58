import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  type ComposeCli,
  type ComposeCommand,
  type ComposeExecResult,
  type ComposeTarget,
  detectCompose,
  runCompose,
} from "../compose/index.js";
import { parseYaml, stringifyYaml } from "../core/index.js";
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

  /**
   * With `attach` (a blue-green colour), the generated file also puts one service on an
   * external network under an extra alias, so the environment's proxy reaches this colour's
   * replicas (and only them) by that name.
   */
  static async open(
    target: EnvironmentTarget,
    log: (line: string) => void = () => {},
    attach?: { service: string; network: string; alias: string },
  ): Promise<EnvironmentCompose> {
    const cli = await detectCompose();
    const source = await readFile(target.composeFile, "utf8").catch((err: Error) => {
      throw new DeployError("SLIPWAY_E_DEPLOY_COMPOSE_FAILED", `cannot read ${target.composeFile}: ${err.message}`);
    });
    const userServices =
      ((parseYaml(source) ?? {}) as { services?: Record<string, { networks?: unknown }> }).services ?? {};
    const services = Object.keys(userServices);
    const labels = {
      [LABEL.role]: "environment",
      [LABEL.environment]: `${target.repository}/${target.environment.name}`,
    };
    const dir = join(tmpdir(), "slipway-environments", target.project);
    await mkdir(dir, { recursive: true });
    const labelsFile = join(dir, "slipway-labels.yml");
    const doc: Record<string, unknown> = { services: Object.fromEntries(services.map((s) => [s, { labels }])) };
    if (attach) {
      if (!services.includes(attach.service)) {
        throw new DeployError(
          "SLIPWAY_E_DEPLOY_BAD_VALUE",
          `blue_green.service "${attach.service}" is not a service of ${target.composeFile} (it has ${services.join(", ")})`,
        );
      }
      const svc = (doc.services as Record<string, Record<string, unknown>>)[attach.service] as Record<string, unknown>;
      svc.networks = {
        ...ownNetworks(userServices[attach.service]?.networks),
        slipway_proxy: { aliases: [attach.alias] },
      };
      const userNetworks = ((parseYaml(source) ?? {}) as { networks?: Record<string, unknown> }).networks ?? {};
      // The colour's own default network carries Slipway's labels too (found and removed with the rest).
      doc.networks = {
        ...(userNetworks.default === undefined ? { default: { labels } } : {}),
        slipway_proxy: { external: true, name: attach.network },
      };
    }
    await writeFile(labelsFile, stringifyYaml(doc));
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

  /** Runs one compose command; a non-zero exit is a DeployError. `signal` stops the process (a hook's timeout). */
  async run(cmd: ComposeCommand, what: string, signal?: AbortSignal): Promise<ComposeExecResult> {
    const result = await runCompose(this.cli, this.composeTarget, cmd, {
      env: this.target.variables,
      // `up` and a hook's `run` are what an operator reads in the deploy log; `config` is not.
      onLine: cmd.kind === "up" || cmd.kind === "run" ? this.log : undefined,
      signal,
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
    const model = (parseYaml(config.out) ?? {}) as { services?: Record<string, { image?: string; build?: unknown }> };
    const images = Object.values(model.services ?? {})
      .filter((s) => typeof s.image === "string" && s.build === undefined)
      .map((s) => s.image as string);
    return { specs, images: [...new Set(images)] };
  }
}

/**
 * The networks a service is on, as a map. Listing any network in an override replaces the
 * implicit `default`, so a service that listed none keeps `default` explicitly.
 */
function ownNetworks(raw: unknown): Record<string, unknown> {
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((n) => [String(n), {}]));
  if (raw && typeof raw === "object") return Object.fromEntries(Object.keys(raw).map((n) => [n, {}]));
  return { default: {} };
}
