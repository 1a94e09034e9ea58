import { useEffect, useState } from "preact/hooks";
import type { AuditEventJson } from "../../../api-schema/index.js";
import { call } from "../api.js";
import { when } from "../format.js";

/** Who triggered, cancelled, retried, pushed, deployed what, and when: newest first. */
export function AuditPage() {
  const [events, setEvents] = useState<AuditEventJson[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    call("listAudit", "GET", "/api/audit?limit=500").then(
      (r) => setEvents(r.events),
      (e: Error) => setError(e.message),
    );
  }, []);
  return (
    <>
      <h1>Audit log</h1>
      {error && <p role="alert">{error}</p>}
      <div class="table-wrap">
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td>
                  <time dateTime={new Date(e.createdAt).toISOString()}>{when(e.createdAt)}</time>
                </td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td class="ref">{e.target}</td>
                <td>
                  <code>{e.detail ? JSON.stringify(e.detail) : ""}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
