import { parseArgs } from "node:util";
import type { DeploymentDetailJson, DeploymentJson, ServiceStatusJson } from "../api-schema/index.js";
import { EXIT_USAGE } from "../core/index.js";
import type { CliIo } from "./cli-io.js";
import { ApiClient } from "./client.js";
import { RunnerError } from "./errors.js";

/**
 * `slipway deploy ENV VERSION`, `confirm ENV`, `rollback ENV [VERSION]`, `status ENV`,
 * `history ENV`: clients of the daemon's environment API. The daemon runs the rollout; an
 * operation's command follows it until the deployment ends (unless `--detach`) and exits 0
 * only when it ended `success`. `--repo` picks the repository when the daemon has several.
 */

const OPERATION_OPTIONS = {
  repo: { type: "string" },
  wait: { type: "string" },
  detach: { type: "boolean" },
} as const;

/** A deployment still `running` after this long: the command stops following and says so. */
const FOLLOW_LIMIT_MS = 30 * 60_000;

// Only `deploy` knows --override-window: confirm and rollback are not held by the window.
const DEPLOY_OPTIONS = { ...OPERATION_OPTIONS, "override-window": { type: "boolean" } } as const;

export async function deployCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: DEPLOY_OPTIONS });
  const [env, version] = positionals;
  if (!env || !version || positionals.length > 2)
    return usage(io, "deploy ENV VERSION [--repo R] [--wait SECONDS] [--detach] [--override-window]");
  return operate(io, values, env, "deploy", {
    version,
    ...waitOf(values.wait),
    ...(values["override-window"] ? { overrideWindow: true } : {}),
  });
}

export async function confirmCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: OPERATION_OPTIONS });
  const [env] = positionals;
  if (!env || positionals.length > 1) return usage(io, "confirm ENV [--repo R] [--wait SECONDS] [--detach]");
  return operate(io, values, env, "confirm", { ...waitOf(values.wait) });
}

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: OPERATION_OPTIONS });
  const [env, version] = positionals;
  if (!env || positionals.length > 2) return usage(io, "rollback ENV [VERSION] [--repo R] [--wait SECONDS] [--detach]");
  return operate(io, values, env, "rollback", { ...(version ? { version } : {}), ...waitOf(values.wait) });
}

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { repo: { type: "string" } } });
  const [env] = positionals;
  if (!env || positionals.length > 1) return usage(io, "status ENV [--repo R]");
  const client = ApiClient.fromEnv();
  const repo = await repositoryOf(client, values.repo);
  const status = await client.json<{
    current: DeploymentJson | null;
    lastGood: string | null;
    lock: { holder: string } | null;
    actions: string[];
    services: ServiceStatusJson[];
  }>("GET", `/api/repos/${enc(repo)}/environments/${enc(env)}`);
  const current = status.current;
  io.out(
    `${repo}/${env}: ${current ? `${current.version} (${current.status}${current.outcome ? `: ${current.outcome}` : ""})` : "never deployed"}`,
  );
  io.out(`last good: ${status.lastGood ?? "none"}${status.lock ? `; being deployed by ${status.lock.holder}` : ""}`);
  if (status.actions.length > 0) {
    io.out(`waiting for an operator: slipway confirm ${env} | slipway rollback ${env}`);
  }
  io.out("SERVICE              VERSION              RUNNING  READY  CONTAINERS");
  for (const s of status.services) {
    const containers = s.containers.map((c) => `${c.id.slice(0, 12)} ${c.state}/${c.health}`).join(", ");
    io.out(
      `${s.service.padEnd(20)} ${(s.version ?? "mixed/unknown").padEnd(20)} ${String(s.running).padEnd(8)} ${String(s.ready).padEnd(6)} ${containers}`,
    );
  }
  return 0;
}

export async function historyCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { repo: { type: "string" }, limit: { type: "string", default: "20" }, batches: { type: "boolean" } },
  });
  const [env] = positionals;
  if (!env || positionals.length > 1) return usage(io, "history ENV [--repo R] [--limit N] [--batches]");
  const client = ApiClient.fromEnv();
  const repo = await repositoryOf(client, values.repo);
  const { deployments } = await client.json<{ deployments: DeploymentDetailJson[] }>(
    "GET",
    `/api/repos/${enc(repo)}/environments/${enc(env)}/deployments?limit=${enc(values.limit)}`,
  );
  io.out(
    "ID                          STARTED              TOOK    VERSION         FROM            STATUS       TRIGGER   ACTOR",
  );
  for (const d of deployments) {
    const took = d.finishedAt ? `${Math.round((d.finishedAt - d.createdAt) / 1000)}s` : "-";
    io.out(
      `${d.id.padEnd(27)} ${when(d.createdAt).padEnd(20)} ${took.padEnd(7)} ${d.version.padEnd(15)} ${(d.previousVersion ?? "-").padEnd(15)} ${d.status.padEnd(12)} ${d.trigger.padEnd(9)} ${d.actor ?? "-"}`,
    );
    if (d.outcome) io.out(`    outcome: ${d.outcome}`);
    if (d.rollbackReason) io.out(`    rollback reason: ${d.rollbackReason}`);
    if (!values.batches) continue;
    for (const b of d.batches) {
      const verdicts = b.health.map((h) => `${String(h.id ?? "").slice(0, 12)} ${String(h.state ?? "")}`).join(", ");
      io.out(
        `    ${b.phase} ${b.service} ${b.batch}/${b.batches} ${b.status} ${b.finishedAt - b.startedAt}ms +${b.added.length} -${b.removed.length}${verdicts ? ` [${verdicts}]` : ""}`,
      );
    }
  }
  return 0;
}

async function operate(
  io: CliIo,
  values: { repo?: string; detach?: boolean },
  env: string,
  verb: "deploy" | "confirm" | "rollback",
  body: Record<string, unknown>,
): Promise<number> {
  const client = ApiClient.fromEnv();
  const repo = await repositoryOf(client, values.repo);
  const base = `/api/repos/${enc(repo)}/environments/${enc(env)}`;
  const { deployment } = await client.json<{ deployment: DeploymentJson }>("POST", `${base}/${verb}`, body);
  io.out(`deployment ${deployment.id}: ${deployment.version} to ${repo}/${env} started`);
  if (values.detach) return 0;
  const deadline = Date.now() + FOLLOW_LIMIT_MS;
  let row: DeploymentJson = deployment;
  let printed = 0;
  for (;;) {
    const detail = (
      await client.json<{ deployment: DeploymentDetailJson }>("GET", `${base}/deployments/${deployment.id}`)
    ).deployment;
    for (const b of detail.batches.slice(printed)) {
      io.out(
        `  ${b.phase} ${b.service} batch ${b.batch}/${b.batches}: ${b.status} (+${b.added.length} -${b.removed.length})`,
      );
    }
    printed = detail.batches.length;
    row = detail;
    if (row.status !== "running" || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const line = `deployment ${row.id}: ${row.version} ${row.status}${row.outcome ? ` (${row.outcome})` : ""}${row.rollbackReason ? `; rollback reason: ${row.rollbackReason}` : ""}`;
  if (row.status === "success") {
    io.out(line);
    return 0;
  }
  if (row.status === "awaiting_confirm") {
    // The new version serves; the replaced containers wait, stopped, for the operator's word.
    io.out(line);
    io.out(
      `awaiting confirmation: \`slipway confirm ${env}\` keeps it, \`slipway rollback ${env}\` restarts the old containers`,
    );
    return 0;
  }
  io.err(line);
  if (row.status === "paused" || row.status === "interrupted")
    io.err(`run \`slipway confirm ${env}\` or \`slipway rollback ${env}\``);
  return 1;
}

/** `--repo`, or the daemon's only repository. */
async function repositoryOf(client: ApiClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const { repositories } = await client.json<{ repositories: { name: string }[] }>("GET", "/api/repos");
  const [only, ...more] = repositories;
  if (only && more.length === 0) return only.name;
  throw new RunnerError(
    "SLIPWAY_E_CLI_USAGE",
    only
      ? `the daemon has ${repositories.length} repositories (${repositories.map((r) => r.name).join(", ")}): give --repo`
      : "the daemon has no repositories",
    { exitCode: EXIT_USAGE },
  );
}

function waitOf(text: string | undefined): { waitSeconds?: number } {
  if (text === undefined) return {};
  if (!/^[0-9]{1,4}$/.test(text) || Number(text) > 240) {
    throw new RunnerError("SLIPWAY_E_CLI_USAGE", `--wait takes seconds from 0 to 240, got ${text}`, {
      exitCode: EXIT_USAGE,
    });
  }
  return { waitSeconds: Number(text) };
}

function usage(io: CliIo, text: string): number {
  io.err(`usage: slipway ${text}`);
  return 2;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}
