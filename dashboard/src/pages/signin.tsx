import { useState } from "preact/hooks";
import { navigate } from "../router.js";
import { useSession } from "../session.js";

/** Sign in with an API token; it is kept in this tab's sessionStorage only. */
export function SignInPage() {
  const session = useSession();
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  return (
    <>
      <h1>Sign in</h1>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await session.signIn(token.trim())) navigate("/");
          else setError("That token is not valid (unknown or revoked).");
        }}
      >
        <label>
          API token
          <input
            type="password"
            autoComplete="off"
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit">Sign in</button>
        <p class="muted">
          The token stays in this browser tab (session storage) and is sent only as an Authorization header.
        </p>
      </form>
    </>
  );
}
