import type { Stage } from "../../pipelines/index.js";
import { buildStage } from "./build.js";
import { packageStage } from "./package.js";
import type { RunContext, StageHandler, StageOutcome, StageType } from "./types.js";

type AnyHandler = (ctx: RunContext, stage: Stage, signal: AbortSignal) => Promise<StageOutcome>;

/**
 * The stage handlers of a run, keyed by stage type. Both executors dispatch every stage
 * through one of these: `slipway run` uses `localStages()`, the daemon the same set plus the
 * handlers that need its configuration (registries, environments).
 *
 * Registering a handler is one line, and replaces whatever the type had:
 *
 *     const stages = localStages().register("deploy", createDeployHandler(repo, deps, onDeployed));
 *
 * A type with no handler reports, as a skipped stage, that it does not run here.
 */
export class StageRegistry {
  // Keyed by type; `register` pairs each type with a handler of that type's stage, so the
  // erased signature here is only ever called with a matching stage.
  private readonly handlers = new Map<StageType, AnyHandler>();

  register<T extends StageType>(type: T, handler: StageHandler<T>): this {
    this.handlers.set(type, handler as unknown as AnyHandler);
    return this;
  }

  has(type: StageType): boolean {
    return this.handlers.has(type);
  }

  /** Runs one stage with its type's handler. */
  async dispatch(ctx: RunContext, stage: Stage, signal: AbortSignal): Promise<StageOutcome> {
    const handler = this.handlers.get(stage.type);
    if (!handler) return notHere(stage);
    return handler(ctx, stage, signal);
  }
}

// Pushing needs registry credentials and deploying needs environments: both belong to the
// daemon (`slipway serve`), which owns that configuration; a local run says so.
function notHere(stage: Stage): StageOutcome {
  return { ok: true, skipped: true, detail: `not run locally: ${stage.type} runs under slipway serve` };
}

/** The stages any run can do without the daemon's configuration: build, package, compose. */
export function localStages(): StageRegistry {
  return (
    new StageRegistry()
      .register("build", buildStage)
      .register("package", packageStage)
      // compose/ and its JUnit parser are ~40 ms to load: only a pipeline that has an
      // integration stage pays for them, when that stage starts.
      .register("compose", async (ctx, stage, signal) =>
        (await import("./compose.js")).integrationStage(ctx, stage, signal),
      )
  );
}
