import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Milliseconds a command takes, run to completion. */
export function timeCommand(cmd: string, args: string[]): number {
  const started = performance.now();
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return performance.now() - started;
}

/** A throwaway git repository holding just the given files. */
export function makeRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.test", ...args], { cwd: dir });
  git("init", "-q", "-b", "develop");
  git("add", "-A");
  git("commit", "-qm", "bench");
  return dir;
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with Docker's `timeNano`). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface ContainerStart {
  id: string;
  /** Engine time of the `start` event, epoch ms (from `timeNano`). */
  atMs: number;
  labels: Record<string, string>;
}

/**
 * Subscribes to the engine's container `start` events carrying all the given labels
 * (`key=value` or `key`). Resolve the subscription before acting, so no event is missed.
 */
export async function watchContainerStarts(
  docker: import("dockerode"),
  labels: string[],
): Promise<{
  events: ContainerStart[];
  next(match: (e: ContainerStart) => boolean, timeoutMs?: number): Promise<ContainerStart>;
  close(): void;
}> {
  const abort = new AbortController();
  // dockerode's types omit abortSignal (it is passed through to the request).
  const options = { filters: { type: ["container"], event: ["start"], label: labels }, abortSignal: abort.signal };
  const stream = (await docker.getEvents(options as object)) as unknown as NodeJS.ReadableStream;
  const events: ContainerStart[] = [];
  const waiters = new Set<() => void>();
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let nl = pending.indexOf("\n");
    while (nl !== -1) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
      if (!line) continue;
      const e = JSON.parse(line) as { id: string; timeNano: number; Actor?: { Attributes?: Record<string, string> } };
      events.push({ id: e.id, atMs: e.timeNano / 1e6, labels: e.Actor?.Attributes ?? {} });
      for (const wake of waiters) wake();
    }
  });
  stream.on("error", () => {});
  return {
    events,
    next(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching container start within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      abort.abort();
    },
  };
}

/** One call of an instrumented method: name, start and end in `nowMs()` time. */
export interface TracedCall {
  name: string;
  start: number;
  end: number;
}

/**
 * Wraps async methods of an object (on the instance, so the class is untouched) to record
 * when each call started and settled. Bench-only instrumentation; the returned function undoes it.
 */
export function traceMethods<T extends object>(
  obj: T,
  methods: (keyof T & string)[],
  calls: TracedCall[],
  prefix = "",
): () => void {
  const target = obj as Record<string, unknown>;
  const originals = methods.map((m) => [m, target[m], Object.hasOwn(target, m)] as const);
  for (const [m, original] of originals) {
    if (typeof original !== "function") throw new Error(`${m} is not a method`);
    target[m] = async function (this: unknown, ...args: unknown[]) {
      const call = { name: `${prefix}${m}`, start: nowMs(), end: Number.NaN };
      calls.push(call);
      try {
        return await (original as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
      } finally {
        call.end = nowMs();
      }
    };
  }
  return () => {
    for (const [m, original, own] of originals) {
      if (own) target[m] = original;
      else delete target[m];
    }
  };
}
