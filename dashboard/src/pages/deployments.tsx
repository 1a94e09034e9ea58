import type { ComponentChildren } from "preact";
import type { DeploymentDetailJson } from "../../../api-schema/index.js";
import { duration, when } from "../format.js";
import { Status } from "../status.js";

type Batch = DeploymentDetailJson["batches"][number];

const short = (id: string) => id.slice(0, 12);

/** A batch's containers: what it started, what it removed, and each new one's health verdict. */
function BatchTable(props: { batches: Batch[] }) {
  return (
    <div class="table-wrap">
      <table class="batches">
        <thead>
          <tr>
            <th scope="col">Phase</th>
            <th scope="col">Service</th>
            <th scope="col">Batch</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Took</th>
            <th scope="col">Added</th>
            <th scope="col">Removed</th>
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          {props.batches.map((b) => (
            <tr key={b.seq} data-batch={`${b.phase}:${b.service}:${b.batch}`} data-status={b.status}>
              <td>{b.phase}</td>
              <td>{b.service}</td>
              <td class="num">
                {b.batch} of {b.batches}
              </td>
              <td>
                <Status status={b.status} />
              </td>
              <td>
                <time dateTime={new Date(b.startedAt).toISOString()}>{new Date(b.startedAt).toLocaleTimeString()}</time>
              </td>
              <td class="num">{duration(b.finishedAt - b.startedAt)}</td>
              <td class="ref ids">{b.added.map(short).join(" ")}</td>
              <td class="ref ids">{b.removed.map(short).join(" ")}</td>
              <td>
                <ul class="plain">
                  {b.health.map((h, i) => (
                    <li key={h.id ?? i}>
                      <code>{short(h.id ?? "")}</code> <Status status={h.state ?? "unknown"} />
                      {h.detail ? <span class="muted"> {h.detail}</span> : null}
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
 * A rollout as it advances: per service, how many of its batches are done (the store records a
 * batch when it ends, so the bar moves batch by batch), then every batch so far.
 */
export function RolloutProgress(props: { deployment: DeploymentDetailJson }) {
  const d = props.deployment;
  const services = new Map<string, Batch>();
  for (const b of d.batches) services.set(`${b.phase} ${b.service}`, b); // the last batch of each
  return (
    <section class="rollout" aria-labelledby="rollout-h" aria-live="polite" data-deployment={d.id}>
      <h2 id="rollout-h">
        Rollout of {d.version} <Status status={d.status} />
      </h2>
      <p class="muted">
        {d.strategy} from {d.previousVersion ?? "nothing"}, started {when(d.createdAt)} ({d.trigger}
        {d.actor ? ` by ${d.actor}` : ""})
      </p>
      {services.size === 0 ? (
        <p>Preparing the first batch…</p>
      ) : (
        <ul class="plain progress-list">
          {[...services.entries()].map(([key, b]) => (
            <li key={key} data-service={b.service}>
              <label>
                <span class="stage-name">{key}</span>{" "}
                <progress max={b.batches} value={b.batch}>
                  {b.batch} of {b.batches}
                </progress>{" "}
                <span class="num" data-progress>
                  {b.batch} of {b.batches} batches
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {d.batches.length > 0 && <BatchTable batches={d.batches} />}
    </section>
  );
}

/**
 * Deployment history, newest first: one row per deployment, its batches folded under it.
 * `rollbackTo` renders the per-row "roll back to this version" control (signed-in users only).
 */
export function DeploymentHistory(props: {
  deployments: DeploymentDetailJson[];
  rollbackTo?: (d: DeploymentDetailJson) => ComponentChildren;
}) {
  if (props.deployments.length === 0) return <p class="muted">Never deployed.</p>;
  return (
    <div class="table-wrap">
      <table class="history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Version</th>
            <th scope="col">Previous</th>
            <th scope="col">Status</th>
            <th scope="col">Strategy</th>
            <th scope="col">Trigger</th>
            <th scope="col">Actor</th>
            <th scope="col">Took</th>
            <th scope="col">Outcome</th>
            {props.rollbackTo && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        {props.deployments.map((d) => (
          <tbody key={d.id} data-deployment={d.id} data-status={d.status} data-version={d.version}>
            <tr>
              <td>
                <time dateTime={new Date(d.createdAt).toISOString()}>{when(d.createdAt)}</time>
              </td>
              <th scope="row" class="ref">
                {d.version}
              </th>
              <td class="ref">{d.previousVersion ?? "–"}</td>
              <td>
                <Status status={d.status} />
              </td>
              <td>{d.strategy}</td>
              <td>{d.trigger}</td>
              <td>{d.actor ?? ""}</td>
              <td class="num">{duration((d.finishedAt ?? Date.now()) - d.createdAt)}</td>
              <td class="outcome">
                {d.outcome ?? ""}
                {d.rollbackReason && <div class="run-error">Rolled back: {d.rollbackReason}</div>}
              </td>
              {props.rollbackTo && <td>{props.rollbackTo(d)}</td>}
            </tr>
            {d.batches.length > 0 && (
              <tr class="detail-row">
                <td colSpan={props.rollbackTo ? 10 : 9}>
                  <details>
                    <summary>
                      {d.batches.length} batch{d.batches.length === 1 ? "" : "es"}
                    </summary>
                    <BatchTable batches={d.batches} />
                  </details>
                </td>
              </tr>
            )}
          </tbody>
        ))}
      </table>
    </div>
  );
}
