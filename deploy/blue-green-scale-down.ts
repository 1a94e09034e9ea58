import type { Colour } from "./blue-green-plan.js";
import type { EnvironmentCompose } from "./compose-target.js";
import { sleep } from "./health.js";
import type { ColourProxy } from "./proxy.js";

/** Timers of delayed scale-downs, per colour project: a later deployment re-plans anyway. */
const pending = new Map<string, NodeJS.Timeout>();

/**
 * Takes the old colour down, at once or after the delay. The delayed one runs in this
 * process (unref'd: it never keeps a CLI alive) and only when, at that moment, the
 * environment is not being deployed and the proxy still serves the other colour; so a
 * rollback inside the delay, or a deployment to that colour, is never undone by it.
 */
export async function scaleDown(
  ctx: { log: (line: string) => void; whenUnlocked: (fn: () => Promise<void>) => Promise<boolean> },
  compose: EnvironmentCompose,
  proxy: ColourProxy,
  proxyId: string,
  step: { colour: Colour; afterSeconds: number },
  drainSeconds: number,
): Promise<string> {
  const project = compose.target.project;
  const down = async () => {
    if ((await proxy.active(proxyId).catch(() => step.colour)) === step.colour) return;
    // Requests forwarded before the switch finish first.
    await sleep(drainSeconds * 1000);
    await compose.run({ kind: "down", stopTimeoutSeconds: 10 }, `compose down of ${project}`);
    ctx.log(`scaled down ${project}`);
  };
  cancelScaleDown(project);
  if (step.afterSeconds === 0) {
    // Inside this deployment's lock already.
    await down();
    return `${step.colour} scaled down`;
  }
  // Someone else holds the environment (another runner's deployment): try again a little later.
  const retry = Math.min(step.afterSeconds, 30);
  const arm = (seconds: number, attempts: number) => {
    const timer = setTimeout(() => {
      pending.delete(project);
      ctx
        .whenUnlocked(down)
        .then((ran) => {
          if (!ran && attempts > 0) arm(retry, attempts - 1);
        })
        .catch((err: Error) => ctx.log(`scale-down of ${project} failed: ${err.message}`));
    }, seconds * 1000);
    timer.unref();
    pending.set(project, timer);
  };
  arm(step.afterSeconds, 20);
  return `${step.colour} stays up ${step.afterSeconds}s for an instant rollback`;
}

/** Cancels a pending scale-down (a deployment that takes the lock plans for itself). */
export function cancelScaleDown(project: string): void {
  clearTimeout(pending.get(project));
  pending.delete(project);
}
