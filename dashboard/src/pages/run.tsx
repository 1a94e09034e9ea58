import { useEffect, useState } from "preact/hooks";
import type { ReplyOf, RunEventJson, StageJson } from "../../../api-schema/index.js";
import { ApiFailure, call, download, streamEvents } from "../api.js";
import { ApprovalGate } from "../approval-gate.js";
import { duration, runDuration, shortRef, when } from "../format.js";
import { LogView, lineFromHash } from "../log-view.js";
import { navigate } from "../router.js";
import { useSession } from "../session.js";
import { Status } from "../status.js";

type Detail = ReplyOf<"getRun">;
const SETUP = "_setup";

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

function Actions(props: { detail: Detail; onError(msg: string): void }) {
  const { run, stages } = props.detail;
  const session = useSession();
  const [from, setFrom] = useState("");
  const [busy, setBusy] = useState(false);
  if (!session.canWrite) return null;
  // A waiting run (parked before a deploy) can be cancelled, not retried (the API refuses).
  const active = run.status === "queued" || run.status === "running" || run.status === "waiting";
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      props.onError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const retry = (fromStage?: string) =>
    act(async () => {
      const res = await call("retryRun", "POST", `/api/runs/${run.id}/retry`, fromStage ? { fromStage } : {});
      navigate(`/runs/${res.run.id}`);
    });
  return (
    <fieldset class="actions">
      <legend class="sr-only">Run actions</legend>
      {active && (
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => act(async () => void (await call("cancelRun", "POST", `/api/runs/${run.id}/cancel`)))}
        >
          Cancel
        </button>
      )}
      {!active && (
        <>
          <button type="button" disabled={busy} onClick={() => retry()}>
            Retry
          </button>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              if (from) void retry(from);
            }}
          >
            <label>
              Retry from{" "}
              <select value={from} onChange={(e) => setFrom((e.target as HTMLSelectElement).value)}>
                <option value="">stage…</option>
                {stages.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={busy || !from}>
              Retry from stage
            </button>
          </form>
        </>
      )}
    </fieldset>
  );
}

/** A run: header, stages with timings, the selected stage's live log, test reports, artifacts. */
export function RunPage(props: { id: string }) {
  const [detail, setDetail] = useState<Detail | undefined>();
  const [error, setError] = useState("");
  const [stage, setStage] = useState<string | undefined>();

  useEffect(() => {
    setDetail(undefined);
    setStage(undefined);
    const ac = new AbortController();
    const load = () =>
      call("getRun", "GET", `/api/runs/${props.id}`).then(setDetail, (e: Error) => setError(e.message));
    void load();
    streamEvents(
      "/api/events",
      (m) => {
        const update = JSON.parse(m.data) as RunEventJson;
        if (update.run.id !== props.id) return;
        setDetail((d) => (d ? { ...d, run: update.run, stages: update.stages } : d));
        // Artifacts and test reports are indexed as stages end.
        if (update.run.status !== "running" && update.run.status !== "queued") void load();
      },
      ac.signal,
    ).catch(() => {});
    return () => ac.abort();
  }, [props.id]);

  // The stage to show: from the URL hash, else the running one, else the first failed, else the last.
  const stages = detail?.stages ?? [];
  const auto = (list: StageJson[]) =>
    list.find((s) => lineFromHash(s.name) !== undefined)?.name ??
    list.find((s) => s.status === "running")?.name ??
    list.find((s) => s.status === "failed")?.name ??
    list.filter((s) => s.status !== "skipped").at(-1)?.name ??
    SETUP;
  const shown = stage ?? (detail ? auto(stages) : undefined);
  if (error && !detail) return <p role="alert">{error}</p>;
  if (!detail) return <p aria-busy="true">Loading…</p>;
  const { run } = detail;
  const shownStage = stages.find((s) => s.name === shown);
  const live = shown === SETUP ? run.status === "queued" || run.status === "running" : shownStage?.status === "running";

  return (
    <>
      <h1>
        {run.repository} #{run.number} <Status status={run.status} />
      </h1>
      <dl class="facts">
        <dt>Ref</dt>
        <dd>{shortRef(run.ref)}</dd>
        <dt>Commit</dt>
        <dd>
          <code>{run.sha.slice(0, 12)}</code>
        </dd>
        <dt>Version</dt>
        <dd>{run.version ?? "–"}</dd>
        <dt>Trigger</dt>
        <dd>
          {run.trigger}
          {run.actor ? ` by ${run.actor}` : ""}
        </dd>
        <dt>Created</dt>
        <dd>{when(run.createdAt)}</dd>
        <dt>Duration</dt>
        <dd>{runDuration(run) || "–"}</dd>
        {run.retryOf && (
          <>
            <dt>Retry of</dt>
            <dd>
              <a href={`/runs/${run.retryOf}`}>{run.retryOf}</a>
              {run.retryFromStage ? ` from ${run.retryFromStage}` : ""}
            </dd>
          </>
        )}
      </dl>
      {run.error && <p class="run-error">{run.error}</p>}
      {error && <p role="alert">{error}</p>}
      <Actions detail={detail} onError={setError} />
      {run.status === "waiting" &&
        detail.approvals
          .filter((g) => g.waitingFor !== null)
          .map((g) => (
            <ApprovalGate
              key={g.stage}
              run={run}
              gate={g}
              onDecided={(r) => setDetail((d) => (d ? { ...d, run: r } : d))}
            />
          ))}
      <nav aria-label="stages" class="stages">
        <ol>
          {[
            ...stages,
            { name: SETUP, status: "setup", durationMs: null, detail: "checkout and pipeline" } as const,
          ].map((s) => (
            <li key={s.name}>
              <button
                type="button"
                class="stage"
                aria-current={s.name === shown ? "true" : undefined}
                data-stage={s.name}
                onClick={() => {
                  setStage(s.name);
                  if (location.hash) history.replaceState(null, "", location.pathname);
                }}
              >
                <Status status={s.status} label={s.name === SETUP ? "setup" : s.status} />
                <span class="stage-name">{s.name === SETUP ? "setup" : s.name}</span>
                <span class="num">{duration(s.durationMs)}</span>
                {s.detail && <span class="stage-detail">{s.detail}</span>}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      {shown && <LogView key={`${run.id}/${shown}`} runId={run.id} stage={shown} live={live} />}
      {detail.tests.length > 0 && (
        <section aria-labelledby="tests-h">
          <h2 id="tests-h">Tests</h2>
          {detail.tests.map((t) => (
            <div key={t.stage} class="tests">
              <p>
                <strong>{t.stage}</strong>: {t.tests} tests, <span class="s-success">{t.passed} passed</span>,{" "}
                <span class="s-failed">{t.failed + t.errors} failed</span>, {t.skipped} skipped
              </p>
              {t.failures.length > 0 && (
                <ul class="failures">
                  {t.failures.map((f) => (
                    <li key={f.name}>
                      <code>{f.name}</code>
                      {f.message ? `: ${f.message}` : ""}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ))}
        </section>
      )}
      <section aria-labelledby="artifacts-h">
        <h2 id="artifacts-h">Artifacts</h2>
        {detail.artifacts.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="artifacts">
            {detail.artifacts.map((a) => (
              <li key={a.id}>
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    void download(`/api/runs/${run.id}/artifacts/${a.id}`, a.path.split("/").pop() ?? "artifact")
                  }
                >
                  {a.stage}/{a.path}
                </button>{" "}
                <span class="muted">
                  {bytes(a.size)} · sha256 <code title={a.sha256}>{a.sha256.slice(0, 12)}</code>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
