import { useEffect, useState } from "preact/hooks";
import type { RepositoryJson, RunEventJson, RunJson, StageJson } from "../../../api-schema/index.js";
import { call, streamEvents } from "../api.js";
import { runDuration, shortRef } from "../format.js";
import { Link } from "../router.js";
import { Status } from "../status.js";

interface Row {
  run: RunJson;
  stages: StageJson[];
}

const PAGE = 50;

/** Stage columns of a repository: every stage name its listed runs have, by position. */
function columns(rows: Row[]): string[] {
  const pos = new Map<string, number>();
  for (const r of rows) for (const s of r.stages) pos.set(s.name, Math.min(pos.get(s.name) ?? s.position, s.position));
  return [...pos.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}

function RepoTable(props: { repo: string; rows: Row[]; more?: () => Promise<void> }) {
  const cols = columns(props.rows);
  const [loading, setLoading] = useState(false);
  return (
    <section class="repo" aria-labelledby={`repo-${props.repo}`}>
      <h2 id={`repo-${props.repo}`}>{props.repo}</h2>
      {props.rows.length === 0 ? (
        <p class="muted">No runs yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Ref</th>
                <th scope="col">Version</th>
                <th scope="col">Trigger</th>
                <th scope="col">Actor</th>
                <th scope="col">Duration</th>
                {cols.map((c) => (
                  <th scope="col" key={c} class="stage-col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map(({ run, stages }) => {
                const byName = new Map(stages.map((s) => [s.name, s]));
                return (
                  <tr key={run.id} data-run={run.id} data-status={run.status}>
                    <th scope="row">
                      <Link href={`/runs/${run.id}`}>#{run.number}</Link>
                    </th>
                    <td>
                      <Status status={run.status} />
                    </td>
                    <td class="ref">{shortRef(run.ref)}</td>
                    <td>{run.version ?? ""}</td>
                    <td>{run.trigger}</td>
                    <td>{run.actor ?? ""}</td>
                    <td class="num">{runDuration(run)}</td>
                    {cols.map((c) => {
                      const s = byName.get(c);
                      return (
                        <td key={c} class="stage-cell" data-stage={c}>
                          {s ? <Status status={s.status} /> : <span class="muted">–</span>}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {props.more && (
        <p class="load-more">
          <button
            type="button"
            disabled={loading}
            onClick={async () => {
              setLoading(true);
              await props.more?.().finally(() => setLoading(false));
            }}
          >
            {loading ? "Loading…" : `Show ${PAGE} older runs`}
          </button>{" "}
          <span class="muted">{props.rows.length} shown</span>
        </p>
      )}
    </section>
  );
}

/**
 * Pipelines overview: per repository the newest runs as rows, stages as columns. One SSE
 * stream (`/api/events`) keeps every row current; a new run is added at the top of its table.
 * Older runs come a page at a time from the list's keyset cursor (`nextCursor`), so a
 * repository with thousands of runs renders its first page as fast as one with fifty.
 */
export function Overview() {
  const [repos, setRepos] = useState<RepositoryJson[]>([]);
  const [rows, setRows] = useState<Map<string, Row>>(new Map());
  const [error, setError] = useState("");
  const [, tick] = useState(0);
  // Per repository: the cursor of its next older page (absent when the last page was read).
  const [cursors, setCursors] = useState<Map<string, string>>(new Map());

  const loadPage = async (repository: string, cursor?: string) => {
    const q = `repository=${encodeURIComponent(repository)}&limit=${PAGE}&include=stages${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await call("listRuns", "GET", `/api/runs?${q}`);
    const next = new Map<string, Row>();
    for (const run of page.runs) next.set(run.id, { run, stages: page.stages?.[run.id] ?? [] });
    // Changes that arrived while the list loaded are newer: keep them.
    setRows((live) => new Map([...next, ...live]));
    setCursors((old) => {
      const copy = new Map(old);
      if (page.nextCursor) copy.set(repository, page.nextCursor);
      else copy.delete(repository);
      return copy;
    });
  };

  useEffect(() => {
    const ac = new AbortController();
    (async () => {
      const { repositories } = await call("listRepos", "GET", "/api/repos");
      setRepos(repositories);
      // Each repository's table shows as soon as its own page of runs arrives.
      await Promise.all(repositories.map((r) => loadPage(r.name)));
    })().catch((e: Error) => setError(e.message));
    streamEvents(
      "/api/events",
      (m) => {
        if (m.event !== "run") return;
        const update = JSON.parse(m.data) as RunEventJson;
        setRows((old) => new Map(old).set(update.run.id, update));
      },
      ac.signal,
    ).catch((e: Error) => setError(e.message));
    // Durations of running runs advance without a server round trip.
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => {
      ac.abort();
      clearInterval(timer);
    };
  }, []);

  // Every loaded row of the repository: the first page, the older pages asked for, and runs
  // that started since (live), newest first.
  const byRepo = (name: string) =>
    [...rows.values()].filter((r) => r.run.repository === name).sort((a, b) => b.run.number - a.run.number);

  return (
    <>
      <h1>Pipelines</h1>
      {error && <p role="alert">{error}</p>}
      {repos.map((r) => (
        <RepoTable
          key={r.name}
          repo={r.name}
          rows={byRepo(r.name)}
          more={
            cursors.has(r.name)
              ? () => loadPage(r.name, cursors.get(r.name)).catch((e: Error) => setError(e.message))
              : undefined
          }
        />
      ))}
    </>
  );
}
