import { checkComposePolicy, sanitizeProjectName } from "../../compose/index.js";
import type { EnvironmentTarget } from "../../deploy/index.js";
import { containPath } from "../../engine/index.js";
import type { EnvironmentDef } from "../../pipelines/index.js";

/**
 * An environment of a checked-out commit as `deploy/` takes it. The deploy stage and the
 * environment API (`slipway deploy`, `confirm`, `rollback`) both come through here, so both
 * apply the same containment and trust rules as a test stack: the compose file must be inside
 * the checkout, and an untrusted repository's environment gets no host bind mounts,
 * privileges or host namespaces (docs/security.md).
 */
export async function environmentTarget(opts: {
  repository: string;
  pipelineName: string;
  environment: EnvironmentDef;
  checkout: string;
  trusted: boolean;
  version: string;
  variables: Record<string, string>;
}): Promise<EnvironmentTarget> {
  const env = opts.environment;
  const composeFile = await containPath({
    root: opts.checkout,
    path: env.compose,
    what: "environment compose file",
    kind: "file",
  });
  await checkComposePolicy({ checkout: opts.checkout, file: composeFile, trusted: opts.trusted });
  return {
    repository: opts.repository,
    environment: env,
    project: environmentProject(opts.pipelineName, env),
    composeFile,
    version: opts.version,
    variables: opts.variables,
  };
}

/** The environment's compose project: `project:`, or `<pipeline name>-<environment>`. */
export function environmentProject(pipelineName: string, env: EnvironmentDef): string {
  return sanitizeProjectName(env.project ?? `${pipelineName}-${env.name}`);
}
