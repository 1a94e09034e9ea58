/** Durations as people read them: 850ms, 12.3s, 4m05s, 1h02m. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function runDuration(run: { startedAt: number | null; finishedAt: number | null }, now = Date.now()): string {
  if (!run.startedAt) return "";
  return duration((run.finishedAt ?? now) - run.startedAt);
}

export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

export function when(ms: number | null): string {
  if (!ms) return "";
  return new Date(ms).toLocaleString();
}
