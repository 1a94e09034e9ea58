import { useEffect, useRef, useState } from "preact/hooks";
import type { ApprovalJson, AuditEventJson, RunEventJson, RunJson } from "../../../api-schema/index.js";
import { call, streamEvents } from "../api.js";
import { ApprovalGate } from "../approval-gate.js";
import { shortRef, when } from "../format.js";
import { Link } from "../router.js";

interface Waiting {
  run: RunJson;
  gates: ApprovalJson[];
}

const DECISIONS = new Set(["approve", "reject", "override-window", "approval-timeout"]);

/**
 * Pending approvals: every run waiting before a deploy stage (a manual approval or a closed
 * deploy window), each with approve and reject for signed-in users, and the recent decisions
 * from the audit log (who approved or rejected what, and when). The list of waiting runs is
 * `GET /api/runs?status=waiting`, each run's gates come with `GET /api/runs/:id`, and the one
 * `/api/events` stream says when a run starts or stops waiting.
 */
export function ApprovalsPage() {
  const [waiting, setWaiting] = useState<Map<string, Waiting>>(new Map());
  const [decisions, setDecisions] = useState<AuditEventJson[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState("");
  const known = useRef(new Set<string>()); // ids in `waiting`, for the event handler

  const loadDecisions = () =>
    call("listAudit", "GET", "/api/audit?limit=300").then(
      (r) => setDecisions(r.events.filter((e) => DECISIONS.has(e.action)).slice(0, 30)),
      (e: Error) => setError(e.message),
    );
  const refresh = async (id: string) => {
    const detail = await call("getRun", "GET", `/api/runs/${id}`);
    if (detail.run.status === "waiting") known.current.add(id);
    else known.current.delete(id);
    setWaiting((old) => {
      const next = new Map(old);
      if (detail.run.status === "waiting") next.set(id, { run: detail.run, gates: detail.approvals });
      else next.delete(id);
      return next;
    });
  };

  useEffect(() => {
    const ac = new AbortController();
    (async () => {
      const { runs } = await call("listRuns", "GET", "/api/runs?status=waiting&limit=500");
      await Promise.all(runs.map((r) => refresh(r.id)));
      setLoaded(true);
    })().catch((e: Error) => setError(e.message));
    void loadDecisions();
    streamEvents(
      "/api/events",
      (m) => {
        if (m.event !== "run") return;
        const { run } = JSON.parse(m.data) as RunEventJson;
        // A run that starts waiting needs its gates; one that stops leaves the list (decided).
        if (run.status === "waiting" || known.current.has(run.id)) void refresh(run.id).catch(() => {});
        if (run.status !== "waiting" && known.current.has(run.id)) void loadDecisions();
      },
      ac.signal,
    ).catch((e: Error) => setError(e.message));
    return () => ac.abort();
  }, []);

  const rows = [...waiting.values()].sort((a, b) => a.run.createdAt - b.run.createdAt);
  return (
    <>
      <h1>Approvals</h1>
      {error && <p role="alert">{error}</p>}
      <section aria-labelledby="pending-h">
        <h2 id="pending-h">Pending</h2>
        {!loaded ? (
          <p aria-busy="true">Loading…</p>
        ) : rows.length === 0 ? (
          <p class="muted">No run is waiting for an approval or a deploy window.</p>
        ) : (
          <ul class="plain gates">
            {rows.map(({ run, gates }) => (
              <li key={run.id} class="waiting-run" data-run={run.id}>
                <p class="gate-run">
                  <Link href={`/runs/${run.id}`}>
                    {run.repository} #{run.number}
                  </Link>{" "}
                  <span class="ref">{shortRef(run.ref)}</span>
                  {run.version && <span class="ref"> · {run.version}</span>}
                  <span class="muted">
                    {" "}
                    · {run.trigger}
                    {run.actor ? ` by ${run.actor}` : ""} · {when(run.createdAt)}
                  </span>
                </p>
                {gates
                  .filter((g) => g.waitingFor !== null)
                  .map((g) => (
                    <ApprovalGate
                      key={g.stage}
                      run={run}
                      gate={g}
                      onDecided={() => {
                        void refresh(run.id).catch(() => {});
                        void loadDecisions();
                      }}
                    />
                  ))}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="decided-h">
        <h2 id="decided-h">Recent decisions</h2>
        {decisions.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="decisions">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Run</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Comment</th>
                </tr>
              </thead>
              <tbody>
                {decisions.map((e) => (
                  <tr key={e.id} data-action={e.action} data-run={e.target}>
                    <td>
                      <time dateTime={new Date(e.createdAt).toISOString()}>{when(e.createdAt)}</time>
                    </td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>
                      <Link href={`/runs/${e.target}`}>{e.target}</Link>
                    </td>
                    <td>{String(e.detail?.environment ?? "")}</td>
                    <td class="outcome">{e.detail?.comment ? String(e.detail.comment) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
