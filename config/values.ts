import { isIPv4, isIPv6 } from "node:net";
import { parseDuration, readStoreUrl, type StoreLocation } from "../core/index.js";

/**
 * Pure parsers for configuration values. The file reader and the `SLIPWAY_*` environment
 * reader both go through these, so `concurrency: abc` and `SLIPWAY_CONCURRENCY=abc` are
 * refused with the same reason.
 */

/** A failure marked `plaintextSecret` put a password where the config must not hold one. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; plaintextSecret?: boolean };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** RFC 1123 labels: letters, digits and inner hyphens, 1-63 characters each, 253 in all. */
function isHostName(host: string): boolean {
  return host.length <= 253 && host.split(".").every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** `host:port` or `[ipv6]:port`; port 0 means "any free port" (useful in tests). */
export function parseListen(text: string): Parsed<ListenAddress> {
  const hint = 'write "127.0.0.1:8080" (this host only) or "0.0.0.0:8080" (every interface)';
  if (/^\d+$/.test(text)) return bad(`"${text}" has no host; ${hint}`);
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (match === null) return bad(`"${text}" is not host:port; ${hint}`);
  const port = Number(match[3]);
  if (port > 65535) return bad(`port ${port} is out of range (0-65535)`);
  const host = match[1] ?? match[2] ?? "";
  // Checked here, not at bind time, so a typo is a config error and nothing is created first.
  if (match[1] !== undefined && !isIPv6(host)) return bad(`"[${host}]" is not an IPv6 address; ${hint}`);
  if (/^[0-9.]+$/.test(host) && !isIPv4(host)) return bad(`"${host}" is not an IPv4 address; ${hint}`);
  if (match[2] !== undefined && !isIPv4(host) && !isHostName(host)) return bad(`"${host}" is not a host name; ${hint}`);
  return ok({ host, port });
}

/** A whole number ≥ `min`; a string of digits is accepted, as environment values are strings. */
export function parseInteger(value: unknown, min: number): Parsed<number> {
  const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) return bad(`expected a whole number ≥ ${min}`);
  return ok(n);
}

const TRUE_WORDS = ["true", "yes", "on", "1"];
const FALSE_WORDS = ["false", "no", "off", "0"];

export function parseBoolean(value: unknown): Parsed<boolean> {
  if (typeof value === "boolean") return ok(value);
  const word = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (TRUE_WORDS.includes(word)) return ok(true);
  if (FALSE_WORDS.includes(word)) return ok(false);
  return bad("expected true or false");
}

/**
 * `30d`, `12h`, `1h30m`, `45s` to seconds. A bare number is refused: in a retention setting
 * `30` is as likely meant as days as seconds, and guessing wrong deletes logs.
 */
export function parseConfigDuration(value: unknown): Parsed<number> {
  const expected = 'expected a duration with units, like "30s", "5m", "12h", "30d" or "1h30m"';
  if (typeof value !== "string" && typeof value !== "number") return bad(expected);
  // The same grammar as the pipeline file; a bare number is refused here because a
  // retention of `30` reads as days to some and seconds to others.
  const parsed = parseDuration(value, { requireUnit: true });
  if (!parsed.ok) return bad(`${expected}; ${parsed.reason}${typeof value === "string" ? ` in "${value}"` : ""}`);
  if (parsed.seconds === 0) return bad("the duration must be longer than 0s");
  return ok(parsed.seconds);
}

export type RepositoryTransport = "path" | "file" | "http" | "ssh" | "scp";

/**
 * Which of git's URL forms a repository URL is. Relative paths are refused because they would
 * depend on the directory `slipway serve` happens to start in; credentials inside an http(s)
 * URL are refused because the config file would then hold a password in clear.
 */
export function parseRepositoryUrl(text: string): Parsed<RepositoryTransport> {
  if (text.startsWith("/")) return ok("path");
  if (/^git@|^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(text)) {
    return /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/.test(text)
      ? ok("scp")
      : bad(`"${text}" is not an scp-like git URL (user@host:path/to/repo.git)`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return bad(
      `"${text}" is not a repository URL; use an absolute path, file://, http(s)://, ssh:// or user@host:path`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad(`"${text}" is not a valid URL`);
  }
  if (scheme === "file") return url.pathname.length > 1 ? ok("file") : bad(`"${text}" has no path`);
  if (scheme !== "http" && scheme !== "https" && scheme !== "ssh") {
    return bad(`unsupported scheme "${scheme}://"; use file://, http(s)://, ssh:// or user@host:path`);
  }
  if (url.hostname === "") return bad(`"${text}" has no host`);
  if (url.pathname.length <= 1) return bad(`"${text}" has no repository path`);
  if (scheme === "ssh") return ok("ssh");
  if (url.password !== "") {
    return {
      ok: false,
      plaintextSecret: true,
      reason: "the URL holds a password; give it as credentials: {username: ..., password: {env: NAME}}",
    };
  }
  return ok("http");
}

/** A store URL in core's one grammar (`readStoreUrl`). Passwords are checked by the caller. */
export function parseStoreUrl(text: string): Parsed<StoreLocation> {
  const reading = readStoreUrl(text);
  return reading.ok ? ok(reading.location) : bad(reading.reason);
}

/** `registry.example.com`, `127.0.0.1:5000`, `[::1]:5000`; a scheme or path is a common slip. */
export function parseRegistryHost(text: string): Parsed<string> {
  if (/^[a-z]+:\/\//i.test(text)) return bad(`write the host only, without the scheme ("${text.split("://")[1]}")`);
  if (/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(text)) return ok(text);
  return bad(`"${text}" is not a registry host like registry.example.com or 127.0.0.1:5000`);
}

export const REPOSITORY_NAME = /^[a-z0-9][a-z0-9._-]*$/;
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
/** Label values and log lines carry the runner id; keep it to characters that need no quoting. */
export const RUNNER_ID = /^[A-Za-z0-9][A-Za-z0-9@._:/-]{0,127}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** A branch glob: a branch name, not a ref, and nothing git would refuse to follow. */
export function parseBranchGlob(text: string): Parsed<string> {
  if (text.startsWith("refs/"))
    return bad(`write the branch name ("${text.replace(/^refs\/heads\//, "")}"), not a ref`);
  if (text === "" || /[\s~^:\\]|\.\.|^-/.test(text)) return bad(`"${text}" is not a valid branch pattern`);
  return ok(text);
}
