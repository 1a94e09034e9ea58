/** The validated, normalised model of `slipway.yml`. Produced only by `parsePipeline`. */

/** Git-flow kinds a ref can have; also the words allowed in a stage's `when:` list. */
export type FlowKind = "develop" | "feature" | "release" | "hotfix" | "main" | "tag" | "other";
export const FLOW_KINDS: readonly FlowKind[] = ["develop", "feature", "release", "hotfix", "main", "tag", "other"];

export interface FlowConfig {
  /** Name of the integration branch (default `develop`). */
  develop: string;
  /** Name of the production branch (default `main`; `master` is also recognised when main is the default). */
  main: string;
  /** Branch prefixes (defaults `feature/`, `release/`, `hotfix/`). */
  feature: string;
  release: string;
  hotfix: string;
  /** Glob for release tags (default `v*`). */
  tag: string;
}

export interface BuilderDef {
  name: string;
  /** Either a Dockerfile in the repository (path relative to the repo root) ... */
  dockerfile?: string;
  /** ... with its build context (default: the Dockerfile's directory) ... */
  context?: string;
  /** ... or a builder from Slipway's own catalog (`builders/catalog/<catalog>/<version>`) ... */
  catalog?: string;
  /** ... or a plain image reference. */
  image?: string;
  /** Builder version, part of the tag `slipway-builder/<name>:<version>-<hash>`. */
  version: string;
}

interface StageBase {
  name: string;
  /** Flow kinds this stage runs for; undefined = always. */
  when?: FlowKind[];
  /** Seconds; undefined = no limit beyond the runner's default. */
  timeoutSeconds?: number;
  env: Record<string, string>;
}

export interface BuildStage extends StageBase {
  type: "build";
  builder: string;
  commands: string[];
  /** Workspace-relative paths copied out after success and handed to later stages. */
  artifacts: string[];
}

export interface PackageStage extends StageBase {
  type: "package";
  dockerfile: string;
  context: string;
  buildArgs: Record<string, string>;
}

export type ComposeRun = { service: string; command: string[] } | { builder: string; commands: string[] };

export interface ComposeWait {
  /** `service:port` pairs to wait on over TCP, or `http://service:port/path` URLs. */
  tcp: string[];
  http: string[];
  /** Seconds each service may take to become healthy/running. */
  timeoutSeconds: number;
}

export interface ComposeStage extends StageBase {
  type: "compose";
  file: string;
  /** Number of isolated stacks (default 1). */
  parallel: number;
  /** Per-stack commands; when set, `parallel` is its length. */
  shards?: ComposeRun[];
  run?: ComposeRun;
  wait: ComposeWait;
  /** Glob(s) of JUnit XML files written by the tests, relative to the workspace. */
  junit: string[];
}

export interface PushStage extends StageBase {
  type: "push";
  /** Tag templates: `{version}`, `{branch}`, `{sha}`, `{run}`; empty (the default) = the computed tags (see `resolvePushTags`). */
  tags: string[];
  registry?: string;
}

export interface DeployStage extends StageBase {
  type: "deploy";
  environment: string;
}

export type Stage = BuildStage | PackageStage | ComposeStage | PushStage | DeployStage;

/** Update settings as written in `slipway.yml` (`update:` / `rollback:`), aliases resolved. */
export interface UpdateOverrides {
  parallelism?: number;
  delaySeconds?: number;
  order?: "start-first" | "stop-first";
  failureAction?: "rollback" | "pause" | "continue";
  monitorSeconds?: number;
  maxFailureRatio?: number;
  /** Seconds between taking an old container out of rotation and stopping it. */
  drainSeconds?: number;
}

export interface EnvironmentDef {
  name: string;
  compose: string;
  project?: string;
  strategy: "rolling" | "blue-green" | "recreate";
  /**
   * Overrides of the compose file's `deploy.update_config` for every service (only the keys
   * written here; `deploy/` fills in the compose file's values and Swarm's defaults).
   */
  update: UpdateOverrides;
  /** Overrides of `deploy.rollback_config`; its failure action is never `rollback`. */
  rollback: UpdateOverrides;
  approval: "none" | "manual";
  /** `approval_timeout`: a manual approval not given within this many seconds rejects the deploy. */
  approvalTimeoutSeconds?: number;
  /** `window:`: when deploys of this environment may start. */
  window?: DeployWindow;
  when?: FlowKind[];
  /** `blue_green:`, present exactly when `strategy` is `blue-green`. */
  blueGreen?: BlueGreenDef;
  /** `hooks:` (docs/environments.md): commands before and after a deployment. */
  hooks?: DeployHooks;
  /**
   * `confirm_upgrade: true`: a rolling upgrade keeps the replaced containers stopped, not
   * removed, and ends `awaiting_confirm`; `slipway confirm` removes them, `slipway rollback`
   * starts them again (docs/environments.md, "Two-phase finish").
   */
  confirmUpgrade?: boolean;
  /** `keep_versions`: how many earlier successful versions `slipway rollback ENV VERSION` may go to. */
  keepVersions?: number;
}

/** `hooks.pre_deploy` / `hooks.post_deploy`: one command in a one-off container of a compose service. */
export interface DeployHook {
  service: string;
  /** The argv; a string in the file becomes `sh -c <string>`. */
  command: string[];
  timeoutSeconds: number;
}

export interface DeployHooks {
  preDeploy?: DeployHook;
  postDeploy?: DeployHook;
}

/** How a blue-green environment is reached and switched (see docs/environments.md). */
export interface BlueGreenDef {
  /** The service of the compose file the proxy sends traffic to. */
  service: string;
  /** Its container port. */
  port: number;
  /** Where the proxy listens on the host; port 0 lets the engine choose (tests). */
  publish: { hostIp: string; hostPort: number };
  /** Run in a container of `service` of the new colour before the switch; non-zero exit fails the deploy. */
  smoke?: string[];
  /** How long the old colour keeps running after a switch (instant rollback); 0 scales it down at once. */
  scaleDownAfterSeconds: number;
}

/** Days and hours, in an IANA time zone, when an environment may be deployed. */
export interface DeployWindow {
  timezone: string;
  /** Days of the week the window opens, 0 = Sunday ... 6 = Saturday, ascending. */
  days: number[];
  /** Local ranges within each of those days, minutes from midnight, `start` inclusive, `end` exclusive (at most 1440). */
  hours: { start: number; end: number }[];
  /** Outside the window a deploy stage waits for it to open, or fails at once. */
  outside: "wait" | "refuse";
}

export interface Pipeline {
  name: string;
  image?: string;
  flow: FlowConfig;
  builders: Record<string, BuilderDef>;
  stages: Stage[];
  environments: Record<string, EnvironmentDef>;
}

export type Severity = "error" | "warning";

/** One problem found in a pipeline file, positioned for `file:line:column` output. */
export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** JSON-path-like location, e.g. `stages[2].builder`. */
  path: string;
  code: string;
  message: string;
  severity: Severity;
}

export type ParseResult = { ok: true; pipeline: Pipeline; problems: Problem[] } | { ok: false; problems: Problem[] };
