import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** Label keys put on every container, network and volume Slipway creates. */
export const LABEL = {
  owner: "io.slipway.owner",
  run: "io.slipway.run",
  role: "io.slipway.role",
  /** host + pid + process start time of the process that owns the run: lets `gc` decide liveness after a crash. */
  host: "io.slipway.host",
  pid: "io.slipway.pid",
  pidStart: "io.slipway.pid-start",
  stage: "io.slipway.stage",
  /** `<repository>/<environment>` on the containers of a long-running environment. */
  environment: "io.slipway.environment",
  /** On a blue-green environment's proxy container and network: the environment's base compose project. */
  proxy: "io.slipway.proxy",
  /** On the proxy container: a hash of what it was created with (image, publish, target port). */
  proxyConfig: "io.slipway.proxy-config",
} as const;

export type Role = "builder" | "step" | "test-stack" | "environment" | "package";

/** Identifies the process owning a run, so a later process can tell whether it is still alive. */
export interface Liveness {
  host: string;
  pid: number;
  pidStart: string;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); "" when unknown. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "";
  } catch {
    return "";
  }
}

export function currentLiveness(): Liveness {
  return { host: hostname(), pid: process.pid, pidStart: processStartTime(process.pid) };
}

/** Labels for a resource created by `owner` for run `runId`. */
export function slipwayLabels(opts: {
  owner: string;
  runId: string;
  role: Role;
  stage?: string;
  liveness?: Liveness;
}): Record<string, string> {
  const live = opts.liveness ?? currentLiveness();
  const labels: Record<string, string> = {
    [LABEL.owner]: opts.owner,
    [LABEL.run]: opts.runId,
    [LABEL.role]: opts.role,
    [LABEL.host]: live.host,
    [LABEL.pid]: String(live.pid),
    [LABEL.pidStart]: live.pidStart,
  };
  if (opts.stage) labels[LABEL.stage] = opts.stage;
  return labels;
}

/**
 * Whether the process that labelled a resource is still running. A resource labelled on
 * another host is reported alive: this process cannot see that host's processes, and
 * removing a live run's stack would be far worse than leaving an orphan for that host's gc.
 */
export function isOwnerAlive(labels: Record<string, string>): boolean {
  const host = labels[LABEL.host];
  const pid = Number(labels[LABEL.pid]);
  if (!host || !Number.isInteger(pid) || pid <= 0) return false;
  if (host !== hostname()) return true;
  const start = processStartTime(pid);
  if (start === "") return false;
  // A reused pid has a different start time.
  return start === (labels[LABEL.pidStart] ?? start);
}
