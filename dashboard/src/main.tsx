import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call, getToken, setToken } from "./api.js";
import { ApprovalsPage } from "./pages/approvals.js";
import { AuditPage } from "./pages/audit.js";
import { EnvironmentPage } from "./pages/environment.js";
import { EnvironmentsPage } from "./pages/environments.js";
import { Overview } from "./pages/overview.js";
import { RunPage } from "./pages/run.js";
import { SignInPage } from "./pages/signin.js";
import { TokensPage } from "./pages/tokens.js";
import { TriggerPage } from "./pages/trigger.js";
import { Link, usePath } from "./router.js";
import { type Session, SessionContext } from "./session.js";
import "./styles.css";

function Page(props: { path: string }) {
  const run = /^\/runs\/([0-9A-Za-z]+)$/.exec(props.path);
  if (run?.[1]) return <RunPage id={run[1]} />;
  const env = /^\/environments\/([^/]+)\/([^/]+)$/.exec(props.path);
  if (env?.[1] && env[2]) {
    const [repo, name] = [decodeURIComponent(env[1]), decodeURIComponent(env[2])];
    return <EnvironmentPage key={`${repo}/${name}`} repo={repo} env={name} />;
  }
  switch (props.path) {
    case "/":
      return <Overview />;
    case "/approvals":
      return <ApprovalsPage />;
    case "/environments":
      return <EnvironmentsPage />;
    case "/trigger":
      return <TriggerPage />;
    case "/audit":
      return <AuditPage />;
    case "/tokens":
      return <TokensPage />;
    case "/signin":
      return <SignInPage />;
    default:
      return (
        <p>
          No page here. <Link href="/">Pipelines</Link>
        </p>
      );
  }
}

function App() {
  const path = usePath();
  const [who, setWho] = useState<{ actor: string | null; publicRead: boolean; ready: boolean }>({
    actor: null,
    publicRead: true,
    ready: false,
  });
  const check = async () => {
    const me = await call("whoami", "GET", "/api/whoami");
    setWho({ actor: me.actor, publicRead: me.publicRead, ready: true });
    return me.actor;
  };
  useEffect(() => {
    void check().then((actor) => {
      if (!actor && getToken()) setToken(null); // revoked since: fall back to read-only
    });
  }, []);
  const session: Session = {
    actor: who.actor,
    canWrite: who.actor !== null,
    publicRead: who.publicRead,
    signIn: async (token) => {
      setToken(token);
      const actor = await check();
      if (!actor) setToken(null);
      return actor !== null;
    },
    signOut: () => {
      setToken(null);
      void check();
    },
  };
  const nav = [
    ["/", "Pipelines"],
    ["/environments", "Environments"],
    ["/approvals", "Approvals"],
    ...(session.canWrite ? [["/trigger", "Trigger"]] : []),
    ["/audit", "Audit"],
    ...(session.canWrite ? [["/tokens", "Tokens"]] : []),
  ] as const;
  const needsSignIn = who.ready && !who.publicRead && !who.actor && path !== "/signin";
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Slipway
        </Link>
        <nav aria-label="main">
          <ul>
            {nav.map(([href, label]) => (
              <li key={href}>
                <Link
                  href={href}
                  aria-current={path === href || (href !== "/" && path.startsWith(`${href}/`)) ? "page" : undefined}
                >
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          {who.actor ? (
            <>
              <span>
                Signed in as <strong data-actor>{who.actor}</strong>
              </span>{" "}
              <button type="button" onClick={session.signOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link href="/signin">Sign in</Link>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* The page starts loading at once, in parallel with the sign-in check. */}
        {needsSignIn ? <SignInPage /> : <Page path={path} />}
      </main>
    </SessionContext.Provider>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
