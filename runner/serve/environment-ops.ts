import type { Config, RepositoryConfig } from "../../config/index.js";
import {
  confirmDeployment,
  DeployError,
  deployVersion,
  type EnvironmentTarget,
  type ExecutorOptions,
  keepVersionsOf,
  readEnvironmentStatus,
  recoverInterrupted,
  rollbackableVersions,
  rollbackDestination,
  rollbackEnvironment,
  type ServiceStatus,
} from "../../deploy/index.js";
import type { Engine } from "../../engine/index.js";
import {
  describeWindow,
  environmentWhen,
  isWindowOpen,
  nextWindowOpening,
  parsePipeline,
} from "../../pipelines/index.js";
import type { BatchRow, DeploymentRow, DeploymentStore, EnvironmentKey, LockRow, Store } from "../../store/index.js";
import type { SourceCache } from "./sources.js";
import { checkoutVersion, type VersionCheckout } from "./version-source.js";

export interface EnvironmentSummary {
  repository: string;
  environment: string;
  current: DeploymentRow | null;
  lastGood: string | null;
  lock: Omit<LockRow, "repository" | "environment"> | null;
  actions: ("confirm" | "rollback")[];
  /** What `rollback ENV VERSION` accepts, newest first (keep_versions as the serving deployment recorded it). */
  rollbackVersions: string[];
}

export type DeploymentDetail = DeploymentRow & { batches: BatchRow[] };

/** Who asks, and how long the operation may wait for another deployment of the environment. */
export interface OperationRequest {
  actor: string;
  waitSeconds?: number;
  /** `deploy` only: start outside the environment's deploy window (audited as `override-window`). */
  overrideWindow?: boolean;
}

const HISTORY_DEPTH = 200;

/**
 * The daemon's environment operations (`slipway deploy/confirm/rollback/status/history` and
 * their API routes): thin callers of `deploy/`. The daemon owns the engine, so it runs the
 * rollout; each operation answers once its deployment is recorded and the lock held (or fails
 * before anything changed) and the rollout goes on in the background, its outcome recorded in
 * the store. A daemon that stops cuts its rollouts and records them `interrupted`, like a
 * restart after a crash would.
 */
export class EnvironmentOps {
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: {
      config: Config;
      store: Store;
      engine: Engine;
      sources: SourceCache;
      log: (line: string) => void;
      /** The executor's records; the daemon passes the store's, observed for notifications and /api/events. */
      deployments?: DeploymentStore;
    },
  ) {}

  /** Environments the newest pipeline of the repository defines, and any deployed before. */
  async list(repo: RepositoryConfig): Promise<EnvironmentSummary[]> {
    await this.tidy();
    const names = new Set(await this.deps.store.deployments.listDeployedEnvironments(repo.name));
    for (const name of await this.definedEnvironments(repo)) names.add(name);
    return Promise.all([...names].sort().map((name) => this.summary({ repository: repo.name, environment: name })));
  }

  async status(
    repo: RepositoryConfig,
    environment: string,
  ): Promise<EnvironmentSummary & { services: ServiceStatus[] }> {
    await this.tidy();
    const key = { repository: repo.name, environment };
    const history = await this.deps.store.deployments.listDeployments(key, HISTORY_DEPTH);
    const services = await readEnvironmentStatus(this.deps.engine, key, history);
    if (
      history.length === 0 &&
      services.length === 0 &&
      !(await this.definedEnvironments(repo)).includes(environment)
    ) {
      throw unknownEnvironment(repo.name, environment);
    }
    return { ...(await this.summary(key, history)), services };
  }

  async history(repo: RepositoryConfig, environment: string, limit: number): Promise<DeploymentDetail[]> {
    const rows = await this.deps.store.deployments.listDeployments({ repository: repo.name, environment }, limit);
    return Promise.all(rows.map((row) => this.detail(row)));
  }

  async deployment(repo: RepositoryConfig, environment: string, id: string): Promise<DeploymentDetail | undefined> {
    const row = await this.deps.store.deployments.getDeployment(id);
    if (!row || row.repository !== repo.name || row.environment !== environment) return undefined;
    return this.detail(row);
  }

  /**
   * `deploy ENV VERSION`: the version's own compose file (its run's commit), never superseded.
   * The environment's `when:` and deploy window hold as for a deploy stage (an explicit deploy
   * by a token holder is its own approval: `approval: manual` does not park it). Confirm and
   * rollback are exempt from both: they are how an operator leaves a bad state, at any hour.
   */
  deploy(repo: RepositoryConfig, environment: string, version: string, req: OperationRequest): Promise<DeploymentRow> {
    return this.start(repo, environment, version, req, async (target, opts, checkout) => {
      await this.admitExplicitDeploy(repo, environment, checkout, req);
      return deployVersion(target, opts);
    });
  }

  /** The environment's `when:` and deploy window for an explicit deploy; an override is audited. */
  private async admitExplicitDeploy(
    repo: RepositoryConfig,
    environment: string,
    checkout: VersionCheckout,
    req: OperationRequest,
  ): Promise<void> {
    const env = checkout.target.environment;
    const allowed = environmentWhen(env);
    const kind = checkout.run.flowKind;
    if (!allowed.includes(kind)) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_FLOW_NOT_ALLOWED",
        `${checkout.target.version} is a ${kind} version; ${repo.name}/${environment} takes ${allowed.join(", ")} versions only (its when:); nothing was changed`,
      );
    }
    const now = Date.now();
    if (!env.window || isWindowOpen(env.window, now)) return;
    if (!req.overrideWindow) {
      const opens = nextWindowOpening(env.window, now);
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_OUTSIDE_WINDOW",
        `${repo.name}/${environment} is outside its deploy window (${describeWindow(env.window)})${opens ? `; it opens at ${new Date(opens).toISOString()}` : ""}; nothing was changed. To deploy now: slipway deploy ${environment} ${checkout.target.version} --override-window (audited)`,
      );
    }
    await this.deps.store.addAuditEvent({
      actor: req.actor,
      action: "override-window",
      target: `${repo.name}/${environment}`,
      detail: { version: checkout.target.version, window: describeWindow(env.window) },
    });
  }

  /**
   * `confirm ENV`: continues a paused or interrupted deployment toward its version; for one
   * awaiting confirmation (`confirm_upgrade`), removes the containers it kept.
   */
  async confirm(repo: RepositoryConfig, environment: string, req: OperationRequest): Promise<DeploymentRow> {
    await this.tidy();
    const key = { repository: repo.name, environment };
    const paused = await this.deps.store.deployments.latestDeployment(key, [
      "paused",
      "interrupted",
      "running",
      "awaiting_confirm",
    ]);
    if (!paused || paused.status === "running") {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_NOT_PAUSED",
        paused
          ? `${repo.name}/${environment} is being deployed (${paused.version}, ${paused.id}); nothing to confirm`
          : `${repo.name}/${environment} has no paused, interrupted or awaiting deployment to confirm`,
      );
    }
    return this.start(repo, environment, paused.version, req, (target, opts) => confirmDeployment(target, opts));
  }

  /** `rollback ENV [VERSION]`: to VERSION, or the last good version (a stuck deployment: its previous one). */
  async rollback(
    repo: RepositoryConfig,
    environment: string,
    version: string | undefined,
    req: OperationRequest,
  ): Promise<DeploymentRow> {
    await this.tidy();
    const key = { repository: repo.name, environment };
    const history = await this.deps.store.deployments.listDeployments(key, HISTORY_DEPTH);
    const { to } = rollbackDestination(history, version);
    if (!to) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_NO_PREVIOUS",
        version
          ? `${repo.name}/${environment} was never deployed successfully at ${version}`
          : `${repo.name}/${environment} has no earlier successful deployment to roll back to`,
      );
    }
    return this.start(repo, environment, to.version, req, (target, opts) => rollbackEnvironment(target, opts, version));
  }

  /** Cuts running rollouts (they are recorded `interrupted`) and waits for them to settle. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * Checks out `version`'s commit, then runs `operate` in the background; resolves with the
   * deployment row once the executor recorded it (lock held), rejects with the executor's
   * coded error when it fails before that (unknown or missing version, lock held, compose).
   */
  private start(
    repo: RepositoryConfig,
    environment: string,
    version: string,
    req: OperationRequest,
    operate: (target: EnvironmentTarget, opts: ExecutorOptions, checkout: VersionCheckout) => Promise<DeploymentRow>,
  ): Promise<DeploymentRow> {
    return new Promise<DeploymentRow>((resolve, reject) => {
      let started: DeploymentRow | undefined;
      const prefix = `${repo.name}/${environment}`;
      const job = (async () => {
        if (this.stopping.signal.aborted) throw new DeployError("SLIPWAY_E_DEPLOY_CANCELLED", "the daemon is stopping");
        const checkout = await checkoutVersion(this.deps, repo, environment, version);
        try {
          return await operate(
            checkout.target,
            {
              engine: this.deps.engine,
              records: this.deps.deployments ?? this.deps.store.deployments,
              holder: this.deps.config.runnerId,
              log: (line) => this.deps.log(`${prefix}: ${line}`),
              signal: this.stopping.signal,
              trigger: "api",
              actor: req.actor,
              runId: checkout.run.id,
              lockWaitMs: (req.waitSeconds ?? 0) * 1000,
              onStarted: (row) => {
                started = row;
                resolve(row);
              },
            },
            checkout,
          );
        } finally {
          await checkout.release();
        }
      })();
      const settled = job.then(
        (row) => {
          resolve(row);
          this.deps.log(`${prefix}: deployment ${row.id} of ${row.version}: ${row.status} (${row.outcome ?? ""})`);
        },
        (err: Error) => {
          if (!started) return reject(err);
          // The executor recorded the outcome (rolled back, paused, interrupted by a stop).
          this.deps.log(`${prefix}: deployment ${started.id} of ${started.version}: ${describe(err)}`);
        },
      );
      this.inflight.add(settled);
      void settled.finally(() => this.inflight.delete(settled));
    });
  }

  /**
   * A runner sharing the store that died mid-deployment and never restarted leaves its
   * deployment `running`; once its lease expired it is recorded `interrupted` here, so
   * `status` shows it and `confirm` / `rollback` take it, without waiting for that restart.
   */
  private async tidy(): Promise<void> {
    // Through the observed records: the `interrupted` rows and freed locks go out on /api/events.
    for (const d of await recoverInterrupted(this.deps.deployments ?? this.deps.store.deployments)) {
      this.deps.log(
        `${d.repository}/${d.environment}: deployment ${d.id} of ${d.version} was abandoned by its runner: interrupted`,
      );
    }
  }

  private async summary(key: EnvironmentKey, history?: DeploymentRow[]): Promise<EnvironmentSummary> {
    const rows = history ?? (await this.deps.store.deployments.listDeployments(key, HISTORY_DEPTH));
    const current = rows[0] ?? null;
    const lock = await this.deps.store.deployments.getLock(key);
    const stuck =
      current?.status === "paused" || current?.status === "interrupted" || current?.status === "awaiting_confirm";
    return {
      ...key,
      current,
      lastGood: rows.find((d) => d.status === "success")?.version ?? null,
      lock: lock
        ? {
            holder: lock.holder,
            deploymentId: lock.deploymentId,
            acquiredAt: lock.acquiredAt,
            expiresAt: lock.expiresAt,
          }
        : null,
      actions: stuck ? ["confirm", "rollback"] : [],
      rollbackVersions: rollbackableVersions(rows, keepVersionsOf(rows, undefined)),
    };
  }

  private async detail(row: DeploymentRow): Promise<DeploymentDetail> {
    return { ...row, batches: await this.deps.store.deployments.listBatches(row.id) };
  }

  /** Environments of the repository's newest run's pipeline (its snapshot): defined, maybe never deployed. */
  private async definedEnvironments(repo: RepositoryConfig): Promise<string[]> {
    const { runs } = await this.deps.store.listRuns({ repository: repo.name, limit: 1 });
    const newest = runs[0] && (await this.deps.store.getRun(runs[0].id));
    if (!newest?.pipelineSnapshot) return [];
    const parsed = parsePipeline(newest.pipelineSnapshot, "slipway.yml");
    return parsed.ok ? Object.keys(parsed.pipeline.environments) : [];
  }
}

function unknownEnvironment(repository: string, environment: string): DeployError {
  return new DeployError(
    "SLIPWAY_E_DEPLOY_UNKNOWN_ENVIRONMENT",
    `${repository} has no environment ${environment} (not in its newest pipeline, never deployed)`,
  );
}

function describe(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${err.message.split("\n")[0]}` : err.message;
}
