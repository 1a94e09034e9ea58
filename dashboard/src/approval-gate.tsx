import { useState } from "preact/hooks";
import type { ApprovalJson, RunJson } from "../../api-schema/index.js";
import { ApiFailure, call } from "./api.js";
import { when } from "./format.js";
import { useSession } from "./session.js";
import { Status } from "./status.js";

/** What a gate holds the run for, in words: the approval, or the window and when it opens. */
export function gateReason(gate: ApprovalJson): string {
  if (gate.waitingFor === "approval") return `waiting for approval to deploy to ${gate.environment}`;
  if (gate.waitingFor === "window") {
    const opens = gate.windowOpensAt ? `; it opens ${when(gate.windowOpensAt)}` : "";
    return `waiting for the deploy window of ${gate.environment}${opens}`;
  }
  return gate.state;
}

/**
 * The gate in front of one deploy stage of a waiting run, with approve and reject for signed-in
 * users (the daemon records the token's name as who decided). A run waiting for its deploy
 * window can be deployed now only with an explicit, audited window override.
 */
export function ApprovalGate(props: { run: RunJson; gate: ApprovalJson; onDecided(run: RunJson): void }) {
  const { run, gate } = props;
  const session = useSession();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const open = run.status === "waiting" && gate.waitingFor !== null;
  const decide = async (kind: "approve" | "reject", overrideWindow = false) => {
    setBusy(true);
    setError("");
    try {
      const body = { ...(comment ? { comment } : {}), ...(overrideWindow ? { overrideWindow } : {}) };
      const res =
        kind === "approve"
          ? await call("approveRun", "POST", `/api/runs/${run.id}/approve`, body)
          : await call("rejectRun", "POST", `/api/runs/${run.id}/reject`, comment ? { comment } : {});
      props.onDecided(res.run);
    } catch (e) {
      setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const id = `gate-${run.id}-${gate.stage}`;
  return (
    <article class="gate" aria-labelledby={id} data-run={run.id} data-stage={gate.stage} data-state={gate.state}>
      <h3 id={id}>
        Deploy to {gate.environment} <Status status={gate.waitingFor ? "waiting" : gate.state} label={gate.state} />
      </h3>
      <dl class="facts">
        <dt>Stage</dt>
        <dd>{gate.stage}</dd>
        <dt>Waiting for</dt>
        <dd>{gate.reason ?? gateReason(gate)}</dd>
        <dt>Requested</dt>
        <dd>{when(gate.requestedAt)}</dd>
        {gate.expiresAt && (
          <>
            <dt>Rejected if undecided by</dt>
            <dd>{when(gate.expiresAt)}</dd>
          </>
        )}
        {gate.decidedBy && (
          <>
            <dt>Decided</dt>
            <dd>
              {gate.state} by <strong>{gate.decidedBy}</strong> {when(gate.decidedAt)}
              {gate.comment ? `: “${gate.comment}”` : ""}
            </dd>
          </>
        )}
        {gate.windowOverrideBy && (
          <>
            <dt>Window overridden</dt>
            <dd>
              by {gate.windowOverrideBy} {when(gate.windowOverrideAt)}
            </dd>
          </>
        )}
      </dl>
      {open && session.canWrite && (
        <form
          class="gate-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (gate.waitingFor === "approval") void decide("approve");
          }}
        >
          <label>
            Comment (optional)
            <textarea
              maxLength={2000}
              value={comment}
              onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <div class="actions">
            {gate.waitingFor === "approval" && (
              <button type="submit" disabled={busy}>
                Approve
              </button>
            )}
            {gate.waitingFor === "window" && (
              <button type="button" disabled={busy} onClick={() => void decide("approve", true)}>
                Deploy now (override the window)
              </button>
            )}
            <button type="button" class="danger" disabled={busy} onClick={() => void decide("reject")}>
              Reject
            </button>
          </div>
          {error && <p role="alert">{error}</p>}
        </form>
      )}
    </article>
  );
}
