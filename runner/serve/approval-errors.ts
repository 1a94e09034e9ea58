import { SlipwayError } from "../../core/index.js";

/** Codes of the gate before a deploy stage (docs/environments.md, listed in docs/errors.md). */
export const APPROVAL_ERROR_CODES = {
  SLIPWAY_E_APPROVAL_REJECTED:
    "Someone rejected the deploy (`slipway reject`, `POST /api/runs/:id/reject`); the run failed.",
  SLIPWAY_E_APPROVAL_TIMEOUT:
    "Nobody approved the deploy within the environment's `approval_timeout`; it was rejected.",
  SLIPWAY_E_APPROVAL_OUTSIDE_WINDOW:
    "The deploy was outside the environment's deploy window and the window says `outside: refuse`.",
} as const;

export type ApprovalErrorCode = keyof typeof APPROVAL_ERROR_CODES;

export class ApprovalError extends SlipwayError<ApprovalErrorCode> {}
