import type { DeployHook, DeployHooks } from "../pipelines/index.js";
import type { DeploymentRow, DeploymentStore } from "../store/index.js";
import type { EnvironmentCompose } from "./compose-target.js";
import { DeployError } from "./errors.js";

/** Which hook, as the file names it (and as errors and the log say). */
export type HookName = "pre_deploy" | "post_deploy";

export interface HookVersions {
  environment: string;
  /** The version serving before this deployment; "" on a first deploy. */
  oldVersion: string;
  newVersion: string;
}

/** The hook of `name`, if the environment has one. */
export function hookOf(hooks: DeployHooks | undefined, name: HookName): DeployHook | undefined {
  return name === "pre_deploy" ? hooks?.preDeploy : hooks?.postDeploy;
}

/**
 * Runs a deploy hook: `compose run --rm` of one of the environment's services with the
 * command, in the environment's project and with the version's variables (its `${IMAGE}`),
 * plus SLIPWAY_ENV, SLIPWAY_OLD_VERSION and SLIPWAY_NEW_VERSION. Its output goes to the deploy
 * log. A non-zero exit, a timeout or an unknown service (compose's "No such service", in the
 * message) is SLIPWAY_E_DEPLOY_HOOK_FAILED. The hook's service usually has `profiles:`, so that
 * `up` never starts it and the rollout leaves it out.
 */
export async function runHook(
  compose: EnvironmentCompose,
  name: HookName,
  hook: DeployHook,
  versions: HookVersions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  log(`${name} hook: ${hook.service}: ${hook.command.join(" ")}`);
  const timeout = AbortSignal.timeout(hook.timeoutSeconds * 1000);
  const stop = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    await compose.run(
      {
        kind: "run",
        service: hook.service,
        command: hook.command,
        env: {
          SLIPWAY_ENV: versions.environment,
          SLIPWAY_OLD_VERSION: versions.oldVersion,
          SLIPWAY_NEW_VERSION: versions.newVersion,
        },
        volumes: [],
      },
      `compose run of ${hook.service}`,
      stop,
    );
  } catch (err) {
    if (signal?.aborted) throw err;
    const why = timeout.aborted ? `timed out after ${hook.timeoutSeconds}s` : (err as Error).message;
    throw new DeployError("SLIPWAY_E_DEPLOY_HOOK_FAILED", `${name} hook failed: ${why}`, { cause: err });
  }
}

/** A deployment about to run its rollout, as the hooks around it need it. */
export interface HookedDeployment {
  records: DeploymentStore;
  /** The deployment, recorded `running`, nothing changed yet. */
  row: DeploymentRow;
  /** The last successful deployment (its version is SLIPWAY_OLD_VERSION). */
  previous: DeploymentRow | undefined;
  hooks: DeployHooks | undefined;
  /**
   * The compose project a hook's one-off container runs in: the environment's own under
   * rolling; under blue-green the serving colour before, the new colour after the switch.
   * May prepare what `compose run` needs there (it is called right before the hook runs).
   */
  composeFor: (name: HookName) => Promise<EnvironmentCompose>;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * The environment's deploy hooks around a rollout, the same under every strategy. A failing
 * pre_deploy hook ends the deployment `failed` (outcome: the hook's exit code and last lines of
 * output) before anything changed. A rollout that fails runs no post_deploy. A failing
 * post_deploy hook leaves the new version serving: the deployment stays `success`, its outcome
 * says so, and the caller fails with SLIPWAY_E_DEPLOY_HOOK_FAILED.
 */
export async function withHooks(d: HookedDeployment, rollout: () => Promise<DeploymentRow>): Promise<DeploymentRow> {
  const log = d.log ?? (() => {});
  const { row } = d;
  const versions = { environment: row.environment, oldVersion: d.previous?.version ?? "", newVersion: row.version };
  const pre = hookOf(d.hooks, "pre_deploy");
  if (pre) {
    try {
      await runHook(await d.composeFor("pre_deploy"), "pre_deploy", pre, versions, log, d.signal);
    } catch (err) {
      // Cut short by the runner stopping: nothing changed either, so nothing to confirm or roll back.
      const why = d.signal?.aborted ? "stopped during the pre_deploy hook (the runner is stopping)" : summary(err);
      await d.records
        .updateDeployment(row.id, { status: "failed", outcome: `${why}; nothing was changed`, finishedAt: Date.now() })
        .catch(() => {});
      throw err;
    }
  }
  const done = await rollout();
  const post = hookOf(d.hooks, "post_deploy");
  if (!post) return done;
  try {
    await runHook(await d.composeFor("post_deploy"), "post_deploy", post, versions, log, d.signal);
    return done;
  } catch (err) {
    if (d.signal?.aborted) throw err;
    await d.records.updateDeployment(row.id, { outcome: `${done.outcome ?? "deployed"}; ${summary(err)}` });
    const why = (err as Error).message.split("\n")[0];
    throw new DeployError("SLIPWAY_E_DEPLOY_HOOK_FAILED", `${row.version} is serving, but the ${why}`, { cause: err });
  }
}

/** One line for a deployment's outcome: the error's first line (the exit code) and its last lines of output. */
function summary(err: unknown): string {
  const [head = "", ...rest] = (err as Error).message.split("\n");
  const tail = rest
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-5)
    .join(" | ");
  return tail ? `${head.replace(/:$/, "")}: ${tail}` : head;
}
