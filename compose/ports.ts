/**
 * Rewrites a service's published ports so that N copies of a stack can run at once: every
 * fixed host port (`"9000:9000"`, `"0.0.0.0:9000:9000"`, `{published: 9000, target: 9000}`)
 * becomes an engine-chosen port on loopback (`"127.0.0.1::9000"`). Tests reach services over
 * the stack network, or read the chosen port back from the engine, never a fixed number.
 */

/** Host address every published port of a test stack is bound to. */
export const LOOPBACK = "127.0.0.1";

/** One `ports:` entry after rewriting, with what it was (for the stage log). */
export interface PortRewrite {
  from: unknown;
  to: string;
  changed: boolean;
}

/**
 * Rewrites one `ports:` entry: short syntax (string or number) or long syntax (mapping).
 * The result is always short syntax, which every compose file version accepts (v1's 3.x
 * schemas know no `host_ip` in the long form).
 */
export function rewritePort(entry: unknown): PortRewrite {
  if (typeof entry === "number") return done(entry, `${LOOPBACK}::${entry}`);
  if (typeof entry === "string") {
    const parts = splitPortSpec(entry.trim());
    const container = parts[parts.length - 1] ?? entry;
    return done(entry, `${LOOPBACK}::${container}`);
  }
  if (entry && typeof entry === "object" && "target" in entry) {
    const long = entry as { target: unknown; protocol?: unknown };
    const protocol = typeof long.protocol === "string" && long.protocol !== "" ? `/${long.protocol}` : "";
    return done(entry, `${LOOPBACK}::${String(long.target)}${protocol}`);
  }
  // Not a port spec compose understands; leave it for compose to report.
  return { from: entry, to: String(entry), changed: false };
}

function done(from: unknown, to: string): PortRewrite {
  return { from, to, changed: from !== to };
}

/**
 * Splits `[ip:][host:]container[/proto]` on the colons that separate fields, ignoring colons
 * inside `${VAR:-default}` interpolations and `[::1]` IPv6 addresses.
 */
export function splitPortSpec(spec: string): string[] {
  const parts: string[] = [];
  let current = "";
  let braces = 0;
  let brackets = 0;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (ch === "$" && spec[i + 1] === "{") braces++;
    else if (ch === "}" && braces > 0) braces--;
    else if (ch === "[") brackets++;
    else if (ch === "]" && brackets > 0) brackets--;
    if (ch === ":" && braces === 0 && brackets === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
