import type { EpochMs } from "./types.js";

/** What a deploy stage's gate decided: a manual approval's outcome, or none needed (window only). */
export type ApprovalState = "not_required" | "pending" | "approved" | "rejected" | "cancelled";
export const APPROVAL_STATES: readonly ApprovalState[] = [
  "not_required",
  "pending",
  "approved",
  "rejected",
  "cancelled",
];

/** What a waiting run waits for at this gate; null once it is not waiting here. */
export type GateWait = "approval" | "window";

/**
 * The gate in front of one deploy stage of one run (migration 7): it exists once the stage
 * needed an approval or met a closed deploy window, and keeps who decided what, and when.
 */
export interface ApprovalRow {
  runId: string;
  stage: string;
  repository: string;
  environment: string;
  state: ApprovalState;
  waitingFor: GateWait | null;
  /** Why the run waits, as shown to people ("waiting for approval to deploy to production"). */
  reason: string | null;
  requestedAt: EpochMs;
  /** `approval_timeout`: a pending approval not decided by then is rejected. */
  expiresAt: EpochMs | null;
  /** When waiting for the window: when it opens next. */
  windowOpensAt: EpochMs | null;
  decidedBy: string | null;
  decidedAt: EpochMs | null;
  comment: string | null;
  /** Someone deployed outside the window on purpose (audited). */
  windowOverrideBy: string | null;
  windowOverrideAt: EpochMs | null;
}

export interface GateInput {
  runId: string;
  stage: string;
  repository: string;
  environment: string;
  /** Whether a manual approval is required (the initial state is `pending`, else `not_required`). */
  approvalRequired: boolean;
  waitingFor: GateWait | null;
  reason?: string;
  /** When the gate is asked for (default now); kept from its creation, like the deadline. */
  requestedAt?: EpochMs;
  /** Only used when the gate is created: the deadline of its approval. */
  expiresAt?: EpochMs;
  windowOpensAt?: EpochMs;
}

export interface Decision {
  state: "approved" | "rejected" | "cancelled";
  actor: string;
  comment?: string;
  /** Only these current states may be decided (atomically): a second approval loses. */
  from: ApprovalState[];
}

/** The approvals table, on SQLite and PostgreSQL alike. */
export interface ApprovalStore {
  /**
   * Creates the gate, or (when it exists) updates only what the run waits for now: its
   * state, deadline and decisions are kept, so a run that resumes and waits again for the
   * window keeps its approval.
   */
  openGate(input: GateInput): Promise<ApprovalRow>;
  getGate(runId: string, stage: string): Promise<ApprovalRow | undefined>;
  /** The gates of a run, oldest first. */
  listGates(runId: string): Promise<ApprovalRow[]>;
  /** Sets the state with who and when, if the current state is one of `from`; undefined otherwise. */
  decide(runId: string, stage: string, decision: Decision): Promise<ApprovalRow | undefined>;
  /** Records a deliberate deploy outside the window (first override wins). */
  overrideWindow(runId: string, stage: string, actor: string): Promise<ApprovalRow | undefined>;
  /** The run no longer waits at this gate (it resumed, or it ended). */
  clearWait(runId: string, stage: string): Promise<void>;
}
