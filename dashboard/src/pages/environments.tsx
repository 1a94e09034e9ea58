import { useState } from "preact/hooks";
import type { ReplyOf } from "../../../api-schema/index.js";
import { call } from "../api.js";
import { actionsFor, environmentOf, isCurrent } from "../deployment-state.js";
import { when } from "../format.js";
import { fallbackPollMs, useDeploymentEvents } from "../live.js";
import { usePoll } from "../poll.js";
import { Link } from "../router.js";
import { Status } from "../status.js";

type Summary = ReplyOf<"listEnvironments">["environments"][number];

export function environmentHref(repository: string, environment: string): string {
  return `/environments/${encodeURIComponent(repository)}/${encodeURIComponent(environment)}`;
}

/**
 * Every repository's environments: what each runs now, its last good version, who deploys it.
 * Deployment messages of `/api/events` keep it current (an environment's first deployment adds
 * its row); a slow fallback poll (`fallbackPollMs`, 30 s) reads it all again for what the
 * stream cannot tell (another runner sharing the store).
 */
export function EnvironmentsPage() {
  const [repos, setRepos] = useState<{ name: string; environments: Summary[] | undefined }[]>([]);
  const [error, setError] = useState("");
  const load = async () => {
    const { repositories } = await call("listRepos", "GET", "/api/repos");
    setRepos((old) =>
      repositories.map((r) => ({ name: r.name, environments: old.find((o) => o.name === r.name)?.environments })),
    );
    await Promise.all(
      repositories.map(async (r) => {
        const { environments } = await call(
          "listEnvironments",
          "GET",
          `/api/repos/${encodeURIComponent(r.name)}/environments`,
        );
        setRepos((old) => old.map((o) => (o.name === r.name ? { ...o, environments } : o)));
      }),
    );
    setError("");
  };
  usePoll(
    () =>
      load().catch((e: Error) => {
        setError(e.message);
        throw e;
      }),
    () => fallbackPollMs(),
    [],
  );
  const update = (repository: string, environment: string, change: (e: Summary | undefined) => Summary | undefined) =>
    setRepos((old) =>
      old.map((r) => {
        if (r.name !== repository || r.environments === undefined) return r;
        const before = r.environments.find((e) => e.environment === environment);
        const after = change(before);
        if (!after || after === before) return r;
        const rest = r.environments.filter((e) => e.environment !== environment);
        return { ...r, environments: [...rest, after].sort((a, b) => a.environment.localeCompare(b.environment)) };
      }),
    );
  useDeploymentEvents(
    (m) => {
      const { repository, environment } = environmentOf(m);
      if (m.type === "deployment") {
        const d = m.data.deployment;
        update(repository, environment, (e) => {
          if (e && !isCurrent(d, e.current)) return e;
          return {
            repository,
            environment,
            lock: e?.lock ?? null,
            current: d,
            lastGood: d.status === "success" ? d.version : (e?.lastGood ?? null),
            actions: actionsFor(d),
            // Not shown on this page; the environment's own page reads it from the API.
            rollbackVersions: e?.rollbackVersions ?? [],
          };
        });
      } else if (m.type === "lock") {
        const { lock } = m.data;
        update(repository, environment, (e) => e && { ...e, lock });
      }
    },
    () => void load().catch(() => {}),
  );
  return (
    <>
      <h1>Environments</h1>
      {error && <p role="alert">{error}</p>}
      {repos.map((r) => (
        <section key={r.name} class="repo" aria-labelledby={`env-repo-${r.name}`}>
          <h2 id={`env-repo-${r.name}`}>{r.name}</h2>
          {r.environments === undefined ? (
            <p aria-busy="true">Loading…</p>
          ) : r.environments.length === 0 ? (
            <p class="muted">No environments in its pipeline.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Environment</th>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last good</th>
                    <th scope="col">Deployed</th>
                    <th scope="col">Lock</th>
                  </tr>
                </thead>
                <tbody>
                  {r.environments.map((e) => (
                    <tr key={e.environment} data-environment={e.environment}>
                      <th scope="row">
                        <Link href={environmentHref(e.repository, e.environment)}>{e.environment}</Link>
                      </th>
                      <td class="ref">{e.current?.version ?? "–"}</td>
                      <td>
                        {e.current ? <Status status={e.current.status} /> : <span class="muted">never deployed</span>}
                      </td>
                      <td class="ref">{e.lastGood ?? "–"}</td>
                      <td>{when(e.current?.createdAt ?? null)}</td>
                      <td>{e.lock ? `held by ${e.lock.holder}` : ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
    </>
  );
}
