import { formatDuration } from "../../core/index.js";
import { describeWindow, type EnvironmentDef, isWindowOpen, nextWindowOpening } from "../../pipelines/index.js";
import type { ApprovalStore } from "../../store/index.js";
import { ApprovalError } from "./approval-errors.js";

/** What the gate in front of a deploy stage says now. */
export type GateVerdict =
  | { kind: "proceed"; note?: string }
  | { kind: "wait"; reason: string }
  | { kind: "refuse"; error: ApprovalError };

export interface GateRequest {
  runId: string;
  stage: string;
  repository: string;
  environment: EnvironmentDef;
  /** The clock (tests pass a fixed one). */
  now: number;
}

/**
 * Decides whether a deploy stage may start: first a manual approval (`approval: manual`),
 * then the deploy window. A wait is recorded in the store (the gate row) before the run
 * parks, so it survives a restart and other runners see it; the decisions themselves come
 * from the API (approve, reject, override) and the timeout sweep (`WaitingRuns`).
 */
export async function checkGate(approvals: ApprovalStore, req: GateRequest): Promise<GateVerdict> {
  const env = req.environment;
  const manual = env.approval === "manual";
  if (!manual && !env.window) return { kind: "proceed" };
  const key = {
    runId: req.runId,
    stage: req.stage,
    repository: req.repository,
    environment: env.name,
    requestedAt: req.now,
  };
  let gate = await approvals.getGate(req.runId, req.stage);
  if (manual && (!gate || gate.state === "pending")) {
    const expiresAt =
      env.approvalTimeoutSeconds !== undefined ? req.now + env.approvalTimeoutSeconds * 1000 : undefined;
    const deadline = gate?.expiresAt ?? expiresAt;
    const reason = `waiting for approval to deploy to ${env.name}${
      deadline ? ` (rejected unless approved by ${new Date(deadline).toISOString()})` : ""
    }`;
    await approvals.openGate({ ...key, approvalRequired: true, waitingFor: "approval", reason, expiresAt });
    return { kind: "wait", reason };
  }
  if (gate?.state === "rejected" || gate?.state === "cancelled") {
    // The sweep fails such runs; a run that resumed in between must not deploy either.
    return { kind: "refuse", error: rejection(gate.decidedBy, gate.comment, env.name) };
  }
  const approvedBy = gate?.state === "approved" ? `approved by ${gate.decidedBy}` : undefined;
  if (env.window && !gate?.windowOverrideAt && !isWindowOpen(env.window, req.now)) {
    const opens = nextWindowOpening(env.window, req.now);
    const when = opens ? `; it opens at ${new Date(opens).toISOString()}` : "";
    const what = `outside the deploy window of ${env.name} (${describeWindow(env.window)})${when}`;
    if (env.window.outside === "refuse") {
      return { kind: "refuse", error: new ApprovalError("SLIPWAY_E_APPROVAL_OUTSIDE_WINDOW", `refused: ${what}`) };
    }
    const reason = `waiting: ${what}`;
    gate = await approvals.openGate({
      ...key,
      approvalRequired: manual,
      waitingFor: "window",
      reason,
      windowOpensAt: opens,
    });
    return { kind: "wait", reason };
  }
  if (gate) await approvals.clearWait(req.runId, req.stage);
  const override = gate?.windowOverrideAt ? `window overridden by ${gate.windowOverrideBy}` : undefined;
  const note = [approvedBy, override].filter(Boolean).join(", ");
  return note ? { kind: "proceed", note } : { kind: "proceed" };
}

export function rejection(actor: string | null, comment: string | null, environment: string): ApprovalError {
  return new ApprovalError(
    "SLIPWAY_E_APPROVAL_REJECTED",
    `deploy to ${environment} rejected by ${actor ?? "someone"}${comment ? `: ${comment}` : ""}`,
  );
}

export function timedOut(environment: string, seconds: number | undefined): ApprovalError {
  const after = seconds !== undefined ? ` after ${formatDuration(Math.round(seconds))}` : "";
  return new ApprovalError(
    "SLIPWAY_E_APPROVAL_TIMEOUT",
    `deploy to ${environment} rejected: nobody approved it${after} (approval_timeout)`,
  );
}
