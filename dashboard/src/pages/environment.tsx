import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { DeploymentDetailJson, DeploymentJson, ReplyOf } from "../../../api-schema/index.js";
import { ApiFailure, call } from "../api.js";
import { actionsFor, environmentOf, isCurrent, withBatch, withDeployment } from "../deployment-state.js";
import { when } from "../format.js";
import { fallbackPollMs, useDeploymentEvents } from "../live.js";
import { usePoll } from "../poll.js";
import { defaultRollbackTarget } from "../rollback-target.js";
import { Link } from "../router.js";
import { useSession } from "../session.js";
import { Status } from "../status.js";
import { DeploymentHistory, RolloutProgress } from "./deployments.js";

type EnvStatus = ReplyOf<"environmentStatus">;

/** The newer of two views of the current deployment (a status read may answer after a newer message). */
function newest(a: DeploymentJson | null, b: DeploymentJson | null | undefined): DeploymentJson | null {
  if (!a || !b || a.id !== b.id) return a;
  return b.updatedAt > a.updatedAt ? b : a;
}
/**
 * Deployments the page reads (and polls). The executor looks 200 deep for a rollback target;
 * only when none of the newest 30 is a good other version does the button go unlabelled and
 * hidden (`slipway rollback ENV` still finds it).
 */
const HISTORY = 30;

/** The rollback (or confirm) the user asked for, shown for a second, explicit confirmation. */
interface Pending {
  kind: "rollback" | "confirm";
  version?: string; // rollback to a named version; none = the daemon's default
  label: string;
}

function Confirmation(props: { pending: Pending; environment: string; busy: boolean; go(): void; cancel(): void }) {
  const go = useRef<HTMLButtonElement>(null);
  // The question takes the focus as it appears (Enter confirms, Tab reaches "Keep as is"), and
  // Escape anywhere on the page keeps things as they are.
  useLayoutEffect(() => go.current?.focus(), []);
  const cancel = useRef(props.cancel);
  cancel.current = props.cancel;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") cancel.current();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const { pending } = props;
  return (
    <div class="notice confirm" role="alertdialog" aria-labelledby="confirm-q">
      <p id="confirm-q">
        {pending.kind === "rollback"
          ? `Roll back ${props.environment} to ${pending.label}?`
          : `Continue the paused rollout of ${props.environment} toward ${pending.label}?`}
      </p>
      <button ref={go} type="button" class="danger" disabled={props.busy} onClick={props.go}>
        {pending.kind === "rollback" ? "Roll back now" : "Confirm now"}
      </button>{" "}
      <button type="button" onClick={props.cancel}>
        Keep as is
      </button>
    </div>
  );
}

/** The versions a service's containers run (more than one while a rollout replaces them). */
const versions = (s: EnvStatus["services"][number]) => [...new Set(s.containers.map((c) => c.version ?? "?"))];

function ServicesTable(props: { services: EnvStatus["services"] }) {
  if (props.services.length === 0) return <p class="muted">No containers running.</p>;
  return (
    <div class="table-wrap">
      <table class="services">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Version</th>
            <th scope="col">Running</th>
            <th scope="col">Ready</th>
            <th scope="col">Containers</th>
          </tr>
        </thead>
        <tbody>
          {props.services.map((s) => (
            <tr key={s.service} data-service={s.service} data-version={s.version ?? ""}>
              <th scope="row">{s.service}</th>
              <td class="ref">{s.version ?? (versions(s).length > 1 ? "mixed" : "unknown")}</td>
              <td class="num">{s.running}</td>
              <td class="num">{s.ready}</td>
              <td>
                <ul class="plain">
                  {s.containers.map((c) => (
                    <li key={c.id}>
                      <code>{c.id.slice(0, 12)}</code> {c.state} {c.health !== "none" && <Status status={c.health} />}
                      {c.version && c.version !== s.version ? <span class="muted"> {c.version}</span> : null}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One environment: each service's version and health, the rollout in progress with its
 * batches, confirm and rollback (signed-in users only), and the deployment history.
 *
 * It moves by the deployment messages of `/api/events`: a deployment recorded or updated, each
 * batch, the lock taken or freed change the page at once, and each also asks for the status
 * again (shortly after, once for a burst) since the services' containers come from the
 * engine, not the stream. A slow fallback poll (30 s, `fallbackPollMs`) reads everything
 * again, for what the stream cannot tell: a rollout another runner sharing the store runs.
 */
export function EnvironmentPage(props: { repo: string; env: string }) {
  const session = useSession();
  const [status, setStatus] = useState<EnvStatus | undefined>();
  const [history, setHistory] = useState<DeploymentDetailJson[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [pending, setPending] = useState<Pending | undefined>();
  const [busy, setBusy] = useState(false);
  const base = `/api/repos/${encodeURIComponent(props.repo)}/environments/${encodeURIComponent(props.env)}`;

  const load = async () => {
    const [s, h] = await Promise.all([
      call("environmentStatus", "GET", base),
      call("listDeployments", "GET", `${base}/deployments?limit=${HISTORY}`),
    ]);
    setStatus(s);
    setHistory(h.deployments);
    setError("");
    return s;
  };
  const reload = () =>
    load().catch((e: Error) => {
      setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : e.message);
      throw e;
    });
  usePoll(reload, () => fallbackPollMs(), [base]);

  // The engine's view (services, containers) follows a message by one read, a burst by one too.
  const refresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(refresh.current), []);
  const refreshStatus = () => {
    clearTimeout(refresh.current);
    refresh.current = setTimeout(() => {
      call("environmentStatus", "GET", base)
        .then((s) => setStatus((old) => ({ ...s, current: newest(s.current, old?.current) })))
        .catch(() => {}); // the fallback poll shows errors
    }, 250);
  };
  useDeploymentEvents(
    (m) => {
      const { repository, environment } = environmentOf(m);
      if (repository !== props.repo || environment !== props.env) return;
      if (m.type === "deployment") {
        const d = m.data.deployment;
        setHistory((h) => withDeployment(h, d, HISTORY));
        setStatus((s) =>
          s && isCurrent(d, s.current)
            ? {
                ...s,
                current: d,
                lastGood: d.status === "success" ? d.version : s.lastGood,
                actions: actionsFor(d),
              }
            : s,
        );
        refreshStatus();
      } else if (m.type === "batch") {
        setHistory((h) => withBatch(h, m.data.batch));
        refreshStatus();
      } else {
        const { lock } = m.data;
        setStatus((s) => s && { ...s, lock });
      }
    },
    // (Re)connected: whatever happened meanwhile is read once.
    () => void reload().catch(() => {}),
  );

  const act = async (p: Pending) => {
    setBusy(true);
    try {
      const { deployment } =
        p.kind === "confirm"
          ? await call("confirmEnvironment", "POST", `${base}/confirm`, {})
          : await call("rollbackEnvironment", "POST", `${base}/rollback`, p.version ? { version: p.version } : {});
      setNotice(`${p.kind === "rollback" ? "Rollback" : "Confirmed rollout"} to ${deployment.version} started.`);
      setPending(undefined);
      await load();
    } catch (e) {
      setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : (e as Error).message);
      setPending(undefined);
    } finally {
      setBusy(false);
    }
  };

  if (!status) return error ? <p role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  const current = status.current;
  const running = current?.status === "running";
  const target = defaultRollbackTarget(history);
  const canAct = session.canWrite && !running && !busy;
  // One "roll back here" per version: on its newest successful deployment.
  const newestOf = new Set<string>();
  const seen = new Set<string>();
  for (const d of history) {
    if (d.status !== "success" || seen.has(d.version)) continue;
    seen.add(d.version);
    newestOf.add(d.id);
  }
  const rollbackTo = (d: DeploymentDetailJson) =>
    canAct && newestOf.has(d.id) && d.version !== current?.version && status.rollbackVersions.includes(d.version) ? (
      <button
        type="button"
        onClick={() => setPending({ kind: "rollback", version: d.version, label: d.version })}
        title={`Roll back to ${d.version}`}
      >
        Roll back here
      </button>
    ) : null;

  return (
    <>
      <p class="crumbs">
        <Link href="/environments">Environments</Link> / {props.repo}
      </p>
      <h1>
        {props.env} {current ? <Status status={current.status} /> : <span class="muted">never deployed</span>}
      </h1>
      <dl class="facts">
        <dt>Version</dt>
        <dd class="ref" data-current-version>
          {current?.version ?? "–"}
        </dd>
        <dt>Last good</dt>
        <dd class="ref">{status.lastGood ?? "–"}</dd>
        {current && (
          <>
            <dt>Deployed</dt>
            <dd>
              {when(current.createdAt)} ({current.trigger}
              {current.actor ? ` by ${current.actor}` : ""})
            </dd>
            <dt>Strategy</dt>
            <dd>{current.strategy}</dd>
          </>
        )}
        {status.lock && (
          <>
            <dt>Lock</dt>
            <dd>
              {/* Since, not until: lease renewals are no events, so an expiry shown would go stale. */}
              held by {status.lock.holder} since {new Date(status.lock.acquiredAt).toLocaleTimeString()}
            </dd>
          </>
        )}
      </dl>
      {current?.outcome && current.status !== "success" && <p class="run-error">{current.outcome}</p>}
      {error && <p role="alert">{error}</p>}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {session.canWrite && (
        <fieldset class="actions">
          <legend class="sr-only">Environment actions</legend>
          {running && <span class="muted">A rollout is in progress; confirm and rollback wait for it.</span>}
          {status.actions.includes("confirm") && current && (
            <button
              type="button"
              disabled={!canAct}
              onClick={() => setPending({ kind: "confirm", label: current.version })}
            >
              Confirm
            </button>
          )}
          {target && (
            <button
              type="button"
              class="danger"
              disabled={!canAct}
              onClick={() => setPending({ kind: "rollback", label: target })}
            >
              Roll back to {target}
            </button>
          )}
        </fieldset>
      )}
      {pending && session.canWrite && !running && (
        <Confirmation
          pending={pending}
          environment={props.env}
          busy={busy}
          go={() => void act(pending)}
          cancel={() => setPending(undefined)}
        />
      )}
      {running && current && history[0]?.id === current.id && <RolloutProgress deployment={history[0]} />}
      <section aria-labelledby="services-h">
        <h2 id="services-h">Services</h2>
        <ServicesTable services={status.services} />
      </section>
      <section aria-labelledby="history-h">
        <h2 id="history-h">Deployment history</h2>
        <DeploymentHistory deployments={history} rollbackTo={session.canWrite ? rollbackTo : undefined} />
      </section>
    </>
  );
}
