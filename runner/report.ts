/** Outcome of one stage of a run. */
export interface StageResult {
  name: string;
  type: string;
  /** `waiting`: parked before a deploy (approval, window); `pending`: after a waiting stage, not reached yet. */
  status: "success" | "failed" | "skipped" | "cancelled" | "waiting" | "pending";
  durationMs: number;
  /** Why it was skipped or failed, or a one-line summary of what it produced. */
  detail?: string;
}

export function formatSeconds(ms: number): string {
  return ms < 10_000
    ? `${(ms / 1000).toFixed(2)}s`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)}s`
      : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** The final table printed after a run: stage, status, duration, detail. */
export function formatStageTable(stages: StageResult[]): string[] {
  const rows = stages.map((s) => [
    s.name,
    s.status,
    s.status === "skipped" ? "-" : formatSeconds(s.durationMs),
    s.detail ?? "",
  ]);
  const header = ["STAGE", "STATUS", "DURATION", "DETAIL"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `── build ──────` header printed before a stage's live log. */
export function stageHeader(name: string, detail: string): string {
  const text = `── ${name}${detail ? ` (${detail})` : ""} `;
  return text.padEnd(72, "─");
}
