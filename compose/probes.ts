import { shellQuote } from "../core/index.js";
import type { Engine } from "../engine/index.js";
import { abortable } from "./abort.js";
import { ComposeError } from "./errors.js";

/** One `wait.tcp` / `wait.http` entry, parsed. */
export interface WaitCheck {
  kind: "tcp" | "http";
  service: string;
  port: number;
  /** The entry as written, used in messages. */
  spec: string;
  url?: string;
}

/** Parses `svc:port` and `http://svc:port/path` entries; anything else is a stage config error. */
export function parseWaitChecks(tcp: string[], http: string[], services: string[]): WaitCheck[] {
  const checks: WaitCheck[] = [];
  for (const spec of tcp) {
    const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(\d{1,5})$/.exec(spec.trim());
    if (!m) throw new ComposeError("SLIPWAY_E_COMPOSE_CONFIG", `wait.tcp entry "${spec}" is not service:port`);
    checks.push({ kind: "tcp", service: m[1] ?? "", port: Number(m[2]), spec });
  }
  for (const spec of http) {
    let url: URL;
    try {
      url = new URL(spec.trim());
    } catch {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_CONFIG",
        `wait.http entry "${spec}" is not a URL like http://service:port/path`,
      );
    }
    if (url.protocol !== "http:") {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_CONFIG",
        `wait.http entry "${spec}" must use http:// (checks run inside the stack network)`,
      );
    }
    // WHATWG URL parsing lower-cases the host, but compose service names are case-sensitive:
    // take the host as written and put it back into the normalised URL.
    const written = /^http:\/\/([^/:?#@]+)/i.exec(spec.trim())?.[1];
    const service = written !== undefined && written.toLowerCase() === url.hostname ? written : url.hostname;
    const href = `http://${service}${url.href.slice(`http://${url.hostname}`.length)}`;
    checks.push({ kind: "http", service, port: Number(url.port || 80), spec, url: href });
  }
  for (const check of checks) {
    if (!services.includes(check.service)) {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_CONFIG",
        `wait entry "${check.spec}" names service "${check.service}", which the compose file does not define (services: ${services.join(", ")})`,
        { service: check.service },
      );
    }
  }
  return checks;
}

/**
 * The shell script a probe container runs: each check is retried every half second until it
 * passes or the deadline passes. `nc HOST PORT -e true` exits 0 as soon as the connection is
 * made (busybox `nc` has no `-z`); busybox `wget` fails on any status >= 400.
 */
export function probeScript(checks: WaitCheck[], timeoutSeconds: number): string {
  const lines = [
    `deadline=$(( $(date +%s) + ${Math.max(1, Math.ceil(timeoutSeconds))} ))`,
    "check() {",
    '  name="$1"; shift',
    '  until "$@" >/dev/null 2>&1; do',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then echo "NOT READY: $name"; "$@" 2>&1 | tail -n 3; exit 1; fi',
    "    sleep 0.5",
    "  done",
    '  echo "ready: $name"',
    "}",
  ];
  for (const c of checks) {
    if (c.kind === "tcp")
      lines.push(`check ${shellQuote(`tcp ${c.spec}`)} nc -w 1 ${shellQuote(c.service)} ${c.port} -e true`);
    // `timeout` instead of wget's own `-T`, which crashes some busybox builds (Debian's 1.35).
    else
      lines.push(`check ${shellQuote(`http ${c.spec}`)} timeout 5 wget -q -O /dev/null ${shellQuote(c.url ?? c.spec)}`);
  }
  return lines.join("\n");
}

/** Where and as what a probe container runs. */
export interface ProbeOptions {
  engine: Engine;
  image: string;
  /** Engine name of the stack network the checked services are on. */
  network: string;
  labels: Record<string, string>;
  timeoutSeconds: number;
  signal?: AbortSignal;
  log?(line: string): void;
}

/**
 * Runs the checks from inside the stack network, so they see the services exactly as the
 * tests will (by service name, container port) and no host port is needed. Throws
 * SLIPWAY_E_COMPOSE_WAIT_TIMEOUT naming the first check that never passed.
 */
export async function runProbes(checks: WaitCheck[], opts: ProbeOptions): Promise<void> {
  if (checks.length === 0) return;
  await opts.engine.ensureImage(opts.image, undefined, opts.signal);
  const id = await opts.engine.createContainer({
    image: opts.image,
    cmd: ["/bin/sh", "-c", probeScript(checks, opts.timeoutSeconds)],
    network: opts.network,
    labels: opts.labels,
  });
  const output: string[] = [];
  try {
    const attached = await opts.engine.attachOutput(id, (line) => {
      output.push(line);
      opts.log?.(`wait: ${line}`);
    });
    await opts.engine.startContainer(id);
    const code = await abortable(opts.engine.waitContainer(id), opts.signal);
    await attached.done.catch(() => {});
    if (code !== 0) {
      const failed = output.find((l) => l.startsWith("NOT READY: "))?.slice("NOT READY: ".length) ?? "a wait check";
      const service = checks.find((c) => failed.endsWith(c.spec))?.service;
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_WAIT_TIMEOUT",
        `${failed} did not answer within ${opts.timeoutSeconds}s\n${output.map((l) => `    ${l}`).join("\n")}`,
        { service },
      );
    }
  } finally {
    await opts.engine.removeContainer(id);
  }
}
