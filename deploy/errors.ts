import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/** Deployment failures with a stable code; tests assert the code, docs/environments.md lists every one. */
export class DeployError extends SlipwayError<DeployErrorCode> {
  constructor(code: DeployErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}

export const DEPLOY_ERROR_CODES = {
  SLIPWAY_E_DEPLOY_NOT_IMPLEMENTED:
    "A compose key or mode Slipway does not carry out yet (e.g. `deploy.mode: global`); refused, never ignored.",
  SLIPWAY_E_DEPLOY_COMPOSE_KEY:
    "A `deploy:` key of the compose file that a plain Docker host does not honour (placement, resources, ...), or an unknown key in `update_config` / `rollback_config`.",
  SLIPWAY_E_DEPLOY_BAD_VALUE: "A value in `deploy:` has the wrong type or is out of range.",
  SLIPWAY_E_DEPLOY_DEPENDENCY_CYCLE: "The services' `depends_on` form a cycle, so there is no order to change them in.",
  SLIPWAY_E_DEPLOY_FIXED_PORT:
    "A service publishes a fixed host port, so two of its containers cannot run at once: start-first (or more than one replica) is impossible; use `order: stop-first` explicitly.",
  SLIPWAY_E_DEPLOY_CONTAINER_NAME:
    "A service sets `container_name`, so it cannot have several replicas or be replaced start-first.",
  SLIPWAY_E_DEPLOY_VERSION_MISSING:
    "The version to deploy is neither in the registry nor present locally; nothing was changed.",
  SLIPWAY_E_DEPLOY_VERSION_UNKNOWN:
    "`slipway deploy ENV VERSION`: no run of the repository produced that version, so there is no commit to take the environment's compose file from; nothing was changed.",
  SLIPWAY_E_DEPLOY_COMPOSE_FAILED: "A compose command of the deployment failed (its output is in the message).",
  SLIPWAY_E_DEPLOY_UNHEALTHY:
    "New containers failed (exited, unhealthy, or not ready by the progress deadline) beyond `max_failure_ratio`.",
  SLIPWAY_E_DEPLOY_PAUSED:
    "The rollout stopped on a failure with `failure_action: pause` (or a failing rollback): run `slipway confirm` or `slipway rollback`.",
  SLIPWAY_E_DEPLOY_ROLLED_BACK: "The rollout failed and was rolled back; the previous version serves again.",
  SLIPWAY_E_DEPLOY_LOCKED:
    "Another deployment of the same environment is in progress (on this or another runner sharing the store).",
  SLIPWAY_E_DEPLOY_NOT_PAUSED:
    "`confirm` (or a paused rollback) was asked for an environment with no paused deployment.",
  SLIPWAY_E_DEPLOY_NO_PREVIOUS:
    "`rollback` without a version, but the environment has no earlier successful deployment.",
  SLIPWAY_E_DEPLOY_AWAITING_CONFIRM:
    "A deploy (or a rollback to another version) of an environment whose last deployment awaits confirmation (`confirm_upgrade: true`): run `slipway confirm ENV` or `slipway rollback ENV` first; nothing was changed.",
  SLIPWAY_E_DEPLOY_ROLLBACK_TOO_OLD:
    "`slipway rollback ENV VERSION` to a version older than the environment's last `keep_versions` versions; deploy it explicitly instead; nothing was changed.",
  SLIPWAY_E_DEPLOY_UNKNOWN_ENVIRONMENT: "The pipeline file defines no environment of that name.",
  SLIPWAY_E_DEPLOY_OUTSIDE_WINDOW:
    "`slipway deploy ENV VERSION` outside the environment's deploy window, without `--override-window`; nothing was changed.",
  SLIPWAY_E_DEPLOY_FLOW_NOT_ALLOWED:
    "`slipway deploy ENV VERSION` of a version whose flow kind (feature, develop, ...) the environment's `when:` does not take; nothing was changed.",
  SLIPWAY_E_DEPLOY_HOOK_FAILED:
    "A deploy hook failed (non-zero exit, timeout, or no such service): a pre_deploy failure changed nothing; after a post_deploy failure the new version is serving.",
  SLIPWAY_E_DEPLOY_CANCELLED: "The deployment was cancelled; the environment keeps serving what it ran at that moment.",
  SLIPWAY_E_DEPLOY_PROXY:
    "The blue-green proxy could not be created, did not see the new colour's servers up, or refused the switch; traffic stays on the colour that served.",
  SLIPWAY_E_DEPLOY_SMOKE_FAILED:
    "The blue-green smoke command (`blue_green.smoke`) failed on the new colour; traffic stays on the colour that served.",
} as const;

export type DeployErrorCode = keyof typeof DEPLOY_ERROR_CODES;

export function isDeployError(err: unknown, code?: DeployErrorCode): err is DeployError {
  return err instanceof DeployError && (code === undefined || err.code === code);
}
