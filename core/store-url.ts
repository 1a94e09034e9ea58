/**
 * The one grammar of store URLs. The config checks them at start-up and the store opens them;
 * both read them here, so a URL the config accepts is one the store can open (they used to
 * disagree on `sqlite://host/file` and on `postgres:///db` without a host).
 *
 * - empty, `sqlite:` or `sqlite://`: SQLite in the data dir (`path` is "");
 * - `sqlite:/abs/file.db` or `sqlite:///abs/file.db`: that file; `sqlite:rel/file.db`:
 *   relative to the data dir (resolving is the store's business: it knows the data dir);
 * - `postgres://` or `postgresql://` with a host: PostgreSQL.
 */
export type StoreLocation =
  | { engine: "sqlite"; path: string }
  /** `url` as written (trimmed); `hasPassword` so the config can refuse one written in clear. */
  | { engine: "postgres"; url: string; hasPassword: boolean };

export type StoreUrlReading = { ok: true; location: StoreLocation } | { ok: false; reason: string };

const EXPECTED =
  "leave it empty for SQLite in the data dir, or use sqlite:/path/file.db or postgres://user@host:5432/db";

export function readStoreUrl(text: string | undefined): StoreUrlReading {
  const value = (text ?? "").trim();
  const lower = value.toLowerCase();
  if (lower === "" || lower === "sqlite:" || lower === "sqlite://") return sqlite("");
  if (lower.startsWith("sqlite:")) {
    const path = value.slice("sqlite:".length);
    if (path.startsWith("///")) return sqlite(path.slice(2));
    // `sqlite://name` would make `name` a host, which SQLite has no notion of.
    if (path.startsWith("//")) return refuse(`"${value}": write sqlite:/absolute/path.db or sqlite:relative.db`);
    return sqlite(path);
  }
  if (/^postgres(ql)?:\/\//.test(lower)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return refuse(`"${value}" is not a valid URL; ${EXPECTED}`);
    }
    if (url.hostname === "") return refuse(`"${value}" has no host; ${EXPECTED}`);
    return { ok: true, location: { engine: "postgres", url: value, hasPassword: url.password !== "" } };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(lower)?.[1];
  return refuse(scheme ? `unsupported store "${scheme}:"; ${EXPECTED}` : `"${value}" is not a store URL; ${EXPECTED}`);
}

function sqlite(path: string): StoreUrlReading {
  return { ok: true, location: { engine: "sqlite", path } };
}

function refuse(reason: string): StoreUrlReading {
  return { ok: false, reason };
}
