import { useEffect, useState } from "preact/hooks";
import type { ApiTokenJson, NewApiTokenJson } from "../../../api-schema/index.js";
import { ApiFailure, call } from "../api.js";
import { when } from "../format.js";
import { useSession } from "../session.js";

/** Store-issued API tokens: create (the token is shown once), list, revoke. */
export function TokensPage() {
  const session = useSession();
  const [tokens, setTokens] = useState<ApiTokenJson[]>([]);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<NewApiTokenJson | undefined>();
  const [error, setError] = useState("");
  const load = () =>
    call("listTokens", "GET", "/api/tokens").then(
      (r) => setTokens(r.tokens),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    if (session.canWrite) void load();
  }, [session.canWrite]);
  if (!session.canWrite) return <p>Sign in with an API token to manage tokens.</p>;
  const report = (e: unknown) => setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : (e as Error).message);
  return (
    <>
      <h1>API tokens</h1>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            setCreated(await call("createToken", "POST", "/api/tokens", { name }));
            setName("");
            await load();
          } catch (err) {
            report(err);
          }
        }}
      >
        <label>
          Name <input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Create token</button>
      </form>
      {created && (
        <div class="notice" role="status">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <input
            class="token"
            readOnly
            value={created.token}
            aria-label="new token"
            onFocus={(e) => (e.target as HTMLInputElement).select()}
          />
        </div>
      )}
      {error && <p role="alert">{error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Created</th>
              <th scope="col">Revoked</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.id}</code>
                </td>
                <td>{when(t.createdAt)}</td>
                <td>{when(t.revokedAt)}</td>
                <td>
                  {t.revokedAt === null && (
                    <button
                      type="button"
                      class="danger"
                      onClick={async () => {
                        try {
                          await call("revokeToken", "DELETE", `/api/tokens/${t.id}`);
                          await load();
                        } catch (err) {
                          report(err);
                        }
                      }}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
