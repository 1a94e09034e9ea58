import { parseArgs } from "node:util";
import type { ApprovalRow, RunRow } from "../store/index.js";
import type { CliIo } from "./cli-io.js";
import { ApiClient } from "./client.js";

type Decided = { run: RunRow; approval: ApprovalRow };

function describe(verb: string, { run, approval }: Decided): string {
  const next =
    run.status === "failed"
      ? "the run failed"
      : run.status === "waiting"
        ? `it still waits: ${approval.reason}`
        : "it resumes";
  return `${verb} run ${run.id} (#${run.number}, stage ${approval.stage} → ${approval.environment}); ${next}`;
}

/** `slipway approve RUN [--comment TEXT] [--override-window]`: lets a waiting run deploy. */
export async function approveCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { comment: { type: "string", short: "m" }, "override-window": { type: "boolean" } },
  });
  const [runId] = positionals;
  if (!runId || positionals.length > 1) {
    io.err("usage: slipway approve RUN [--comment TEXT] [--override-window]");
    return 2;
  }
  const body = {
    ...(values.comment !== undefined ? { comment: values.comment } : {}),
    ...(values["override-window"] ? { overrideWindow: true } : {}),
  };
  const decided = await ApiClient.fromEnv().json<Decided>(
    "POST",
    `/api/runs/${encodeURIComponent(runId)}/approve`,
    body,
  );
  io.out(describe(values["override-window"] ? "approved (window overridden)" : "approved", decided));
  return 0;
}

/** `slipway reject RUN [--comment TEXT]`: the waiting run fails with the reason. */
export async function rejectCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { comment: { type: "string", short: "m" } },
  });
  const [runId] = positionals;
  if (!runId || positionals.length > 1) {
    io.err("usage: slipway reject RUN [--comment TEXT]");
    return 2;
  }
  const body = values.comment !== undefined ? { comment: values.comment } : {};
  const decided = await ApiClient.fromEnv().json<Decided>(
    "POST",
    `/api/runs/${encodeURIComponent(runId)}/reject`,
    body,
  );
  io.out(describe("rejected", decided));
  return 0;
}
