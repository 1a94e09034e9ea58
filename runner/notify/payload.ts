import type { NotificationEvent, WebhookConfig } from "../../config/index.js";
import type { ApprovalRow, DeploymentRow, RunRow, StageRow } from "../../store/index.js";

/**
 * The body of a notification (docs/notifications.md): Slipway's own JSON, or a Slack
 * incoming-webhook body (`text` for notifications and clients without blocks, `blocks` for
 * the message itself). Built once per event and webhook format and stored, so every attempt
 * and every redelivery sends the same bytes.
 */

/** Bumped only for incompatible changes; receivers can branch on it. */
export const PAYLOAD_VERSION = 1;

export interface NotificationFacts {
  /** Shared by every delivery of the event (and by redeliveries): receivers deduplicate by it. */
  eventId: string;
  event: NotificationEvent;
  runner: string;
  /** Epoch ms. */
  at: number;
  run?: RunRow;
  stages?: readonly StageRow[];
  deployment?: DeploymentRow;
  /** With `approval.waiting`: the gate the run waits at. */
  approval?: ApprovalRow;
}

export interface ApprovalPayload {
  stage: string;
  environment: string;
  reason: string | null;
  requestedAt: number;
  /** When an undecided approval is rejected (`approval_timeout`), or null. */
  expiresAt: number | null;
}

export interface RunPayload {
  id: string;
  number: number;
  repository: string;
  ref: string;
  sha: string;
  flowKind: string;
  version: string | null;
  trigger: string;
  actor: string | null;
  status: string;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  retryOf: string | null;
  stages: { name: string; type: string; status: string; durationMs: number | null; detail: string | null }[];
}

export interface DeploymentPayload {
  id: string;
  repository: string;
  environment: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  trigger: string;
  actor: string | null;
  runId: string | null;
  status: string;
  outcome: string | null;
  rollbackReason: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface JsonPayload {
  version: typeof PAYLOAD_VERSION;
  id: string;
  event: NotificationEvent;
  /** ISO 8601. */
  occurredAt: string;
  runner: string;
  repository: string | null;
  run?: RunPayload;
  deployment?: DeploymentPayload;
  approval?: ApprovalPayload;
}

export function jsonPayload(facts: NotificationFacts): JsonPayload {
  const repository = facts.run?.repository ?? facts.deployment?.repository ?? null;
  return {
    version: PAYLOAD_VERSION,
    id: facts.eventId,
    event: facts.event,
    occurredAt: new Date(facts.at).toISOString(),
    runner: facts.runner,
    repository,
    ...(facts.run ? { run: runPayload(facts.run, facts.stages ?? []) } : {}),
    ...(facts.deployment ? { deployment: deploymentPayload(facts.deployment) } : {}),
    ...(facts.approval
      ? {
          approval: {
            stage: facts.approval.stage,
            environment: facts.approval.environment,
            reason: facts.approval.reason,
            requestedAt: facts.approval.requestedAt,
            expiresAt: facts.approval.expiresAt,
          },
        }
      : {}),
  };
}

function runPayload(run: RunRow, stages: readonly StageRow[]): RunPayload {
  return {
    id: run.id,
    number: run.number,
    repository: run.repository,
    ref: run.ref,
    sha: run.sha,
    flowKind: run.flowKind,
    version: run.version,
    trigger: run.trigger,
    actor: run.actor,
    status: run.status,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.startedAt !== null && run.finishedAt !== null ? run.finishedAt - run.startedAt : null,
    retryOf: run.retryOf,
    stages: stages.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      durationMs: s.durationMs,
      detail: s.detail,
    })),
  };
}

function deploymentPayload(d: DeploymentRow): DeploymentPayload {
  return {
    id: d.id,
    repository: d.repository,
    environment: d.environment,
    version: d.version,
    previousVersion: d.previousVersion,
    strategy: d.strategy,
    trigger: d.trigger,
    actor: d.actor,
    runId: d.runId,
    status: d.status,
    outcome: d.outcome,
    rollbackReason: d.rollbackReason,
    createdAt: d.createdAt,
    finishedAt: d.finishedAt,
  };
}

const EMOJI: Record<NotificationEvent, string> = {
  "run.started": ":arrow_forward:",
  "run.succeeded": ":white_check_mark:",
  "run.failed": ":x:",
  "run.cancelled": ":no_entry_sign:",
  "run.fixed": ":tada:",
  "deployment.succeeded": ":rocket:",
  "deployment.failed": ":rotating_light:",
  "deployment.rolled_back": ":rewind:",
  "deployment.paused": ":double_vertical_bar:",
  "deployment.awaiting_confirm": ":raised_hand:",
  "approval.waiting": ":hourglass_flowing_sand:",
};

const VERB: Record<NotificationEvent, string> = {
  "run.started": "started",
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.cancelled": "was cancelled",
  "run.fixed": "is fixed",
  "deployment.succeeded": "deployed",
  "deployment.failed": "failed to deploy",
  "deployment.rolled_back": "rolled back",
  "deployment.paused": "paused deploying",
  "deployment.awaiting_confirm": "awaits confirmation of",
  "approval.waiting": "waits for approval",
};

/** Slack mrkdwn treats `&`, `<` and `>` as markup; a ref or an error message must not inject links. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The one-line summary: Slack's `text` (shown in notifications) and the section of the message. */
export function summary(facts: NotificationFacts): string {
  const e = escapeMrkdwn;
  if (facts.run) {
    const r = facts.run;
    const head = `${EMOJI[facts.event]} *${e(r.repository)}* run #${r.number} ${VERB[facts.event]}`;
    const where = ` on \`${e(r.ref.replace(/^refs\/(heads|tags)\//, ""))}\` (${r.sha.slice(0, 7)})`;
    const why = facts.event === "run.failed" && r.error ? `: ${e(r.error.split("\n")[0] ?? "")}` : "";
    const gate = facts.approval
      ? ` to deploy to \`${e(facts.approval.environment)}\` (stage \`${e(facts.approval.stage)}\`)`
      : "";
    return head + gate + where + why;
  }
  if (facts.deployment) {
    const d = facts.deployment;
    const target = `*${e(d.repository)}/${e(d.environment)}*`;
    if (facts.event === "deployment.rolled_back") {
      const to = d.trigger === "rollback" ? d.version : (d.previousVersion ?? "the previous version");
      const why = d.rollbackReason ? `: ${e(d.rollbackReason)}` : "";
      return `${EMOJI[facts.event]} ${target} rolled back to \`${e(to)}\`${why}`;
    }
    const why =
      (facts.event === "deployment.failed" || facts.event === "deployment.paused") && d.outcome
        ? `: ${e(d.outcome)}`
        : "";
    return `${EMOJI[facts.event]} ${target} ${VERB[facts.event]} \`${e(d.version)}\`${why}`;
  }
  return `${EMOJI[facts.event]} ${facts.event}`;
}

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
}

export function slackPayload(facts: NotificationFacts): SlackPayload {
  const text = summary(facts);
  const context: string[] = [`event \`${facts.event}\``, `runner \`${escapeMrkdwn(facts.runner)}\``];
  if (facts.run?.actor) context.push(`by ${escapeMrkdwn(facts.run.actor)}`);
  if (facts.run?.version) context.push(`version \`${escapeMrkdwn(facts.run.version)}\``);
  const failed = (facts.stages ?? []).filter((s) => s.status === "failed").map((s) => s.name);
  if (failed.length > 0) context.push(`failed stage ${failed.map((n) => `\`${escapeMrkdwn(n)}\``).join(", ")}`);
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      { type: "context", elements: context.map((t) => ({ type: "mrkdwn", text: t })) },
    ],
  };
}

/** The bytes a webhook of this format is sent for the event. */
export function formatBody(format: WebhookConfig["format"], facts: NotificationFacts): string {
  return JSON.stringify(format === "slack" ? slackPayload(facts) : jsonPayload(facts));
}
