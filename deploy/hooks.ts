import type { DeployHook, DeployHooks } from "../pipelines/index.js";
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
      `${name} hook (${hook.service})`,
      stop,
    );
  } catch (err) {
    if (signal?.aborted) throw err;
    const why = timeout.aborted ? `timed out after ${hook.timeoutSeconds}s` : (err as Error).message;
    throw new DeployError("SLIPWAY_E_DEPLOY_HOOK_FAILED", `${name} hook failed: ${why}`, { cause: err });
  }
}
