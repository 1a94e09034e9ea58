import { useEffect, useState } from "preact/hooks";
import type { ReplyOf, RepositoryJson } from "../../../api-schema/index.js";
import { ApiFailure, call } from "../api.js";
import { navigate } from "../router.js";
import { useSession } from "../session.js";

/** Trigger form: a repository, then a branch or tag from its remote's refs. */
export function TriggerPage() {
  const session = useSession();
  const [repos, setRepos] = useState<RepositoryJson[]>([]);
  const [repo, setRepo] = useState("");
  const [refs, setRefs] = useState<ReplyOf<"listRefs"> | undefined>();
  const [ref, setRef] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    call("listRepos", "GET", "/api/repos").then(
      ({ repositories }) => {
        setRepos(repositories);
        setRepo(repositories[0]?.name ?? "");
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(() => {
    if (!repo) return;
    setRefs(undefined);
    call("listRefs", "GET", `/api/repos/${encodeURIComponent(repo)}/refs`).then(
      (r) => {
        setRefs(r);
        setRef(r.branches.find((b) => b.name === "develop")?.ref ?? r.branches[0]?.ref ?? "");
      },
      (e: Error) => setError(e.message),
    );
  }, [repo]);
  if (!session.canWrite) return <p>Sign in with an API token to trigger runs.</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { run } = await call("triggerRun", "POST", `/api/repos/${encodeURIComponent(repo)}/runs`, { ref });
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  return (
    <>
      <h1>Trigger a run</h1>
      <form class="stack" onSubmit={submit}>
        <label>
          Repository
          <select value={repo} onChange={(e) => setRepo((e.target as HTMLSelectElement).value)}>
            {repos.map((r) => (
              <option key={r.name}>{r.name}</option>
            ))}
          </select>
        </label>
        <label>
          Branch or tag
          <select value={ref} disabled={!refs} onChange={(e) => setRef((e.target as HTMLSelectElement).value)}>
            <optgroup label="Branches">
              {refs?.branches.map((b) => (
                <option key={b.ref} value={b.ref}>
                  {b.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="Tags">
              {refs?.tags.map((t) => (
                <option key={t.ref} value={t.ref}>
                  {t.name}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={!ref}>
          Run
        </button>
      </form>
    </>
  );
}
