import { dirname } from "node:path";
import { containPath, isContainmentError } from "../engine/index.js";
import type { ComposePosition } from "./errors.js";
import type { PositionedFile } from "./positioned-file.js";

/** One host-level power an untrusted compose file asks for. */
export interface TrustFinding {
  /** `web` for a service, or `volume "data"` / `secret "key"` for top-level definitions. */
  service: string;
  key: string;
  why: string;
  /** `file:line:col`. */
  at: string;
  position: ComposePosition;
}

/** Namespaces compose can share with the host (`host`) or with another container (`container:x`). */
const NAMESPACE_KEYS = ["network_mode", "pid", "ipc", "uts", "cgroup", "userns_mode"] as const;
const UNCONFINED = /unconfined|label[:=]disable/i;

/**
 * What an untrusted repository's compose file may not do, all of which reach the host: bind
 * mounts of paths outside the checkout (the Docker socket among them), `privileged`,
 * `cap_add`, host or foreign-container namespaces (`service:` sharing within the stack is
 * fine), `devices`, unconfined `security_opt`, `volumes_from: container:`, volume
 * `driver_opts` (a local-driver bind of any host path), secrets/configs files outside the
 * checkout, and `build.network: host`. A value using `$` interpolation in those keys is
 * refused too: its value is only known when compose runs.
 */
export async function untrustedFindings(checkout: string, file: PositionedFile): Promise<TrustFinding[]> {
  const findings: TrustFinding[] = [];
  const add = (service: string, path: (string | number)[], key: string, why: string) => {
    const at = file.at(path);
    const [line, column] = at.split(":").slice(-2).map(Number);
    findings.push({ service, key, why, at, position: { file: file.shown, line: line ?? 1, column: column ?? 1 } });
  };
  const base = dirname(file.abs);
  /** A bind source outside the checkout (symbolic links followed) or not checkable. */
  const outside = async (source: string): Promise<string | undefined> => {
    if (source.includes("$")) return "uses variable interpolation, which cannot be checked before compose runs";
    if (/docker\.sock/.test(source)) return "mounts the Docker socket (root on the host)";
    try {
      await containPath({ root: checkout, base, path: source, what: "bind mount", allowMissing: true });
      return undefined;
    } catch (err) {
      if (isContainmentError(err)) return "mounts a host path outside the checkout";
      throw err;
    }
  };
  const services = isDict(file.value.services) ? file.value.services : {};
  for (const [name, raw] of Object.entries(services)) {
    if (!isDict(raw)) continue;
    const p = (...rest: (string | number)[]) => ["services", name, ...rest];
    if (raw.privileged !== undefined && raw.privileged !== false && raw.privileged !== "false")
      add(name, p("privileged"), `privileged: ${String(raw.privileged)}`, "gives the container root on the host");
    if (toList(raw.cap_add).length > 0) add(name, p("cap_add"), "cap_add", "adds kernel capabilities");
    for (const key of NAMESPACE_KEYS) {
      const value = raw[key];
      if (typeof value !== "string") continue;
      if (value.includes("$"))
        add(
          name,
          p(key),
          `${key}: ${value}`,
          "uses variable interpolation, which cannot be checked before compose runs",
        );
      else if (value === "host" || value.startsWith("container:"))
        add(
          name,
          p(key),
          `${key}: ${value}`,
          `shares ${value === "host" ? "the host's" : "another container's"} namespace`,
        );
    }
    if (toList(raw.devices).length > 0) add(name, p("devices"), "devices", "gives the container host devices");
    if (toList(raw.device_cgroup_rules).length > 0)
      add(name, p("device_cgroup_rules"), "device_cgroup_rules", "gives the container host devices");
    for (const [i, opt] of toList(raw.security_opt).entries())
      if (typeof opt === "string" && (UNCONFINED.test(opt) || opt.includes("$")))
        add(name, p("security_opt", i), `security_opt: ${opt}`, "switches off the container's confinement");
    for (const [i, entry] of toList(raw.volumes_from).entries())
      if (typeof entry === "string" && (entry.startsWith("container:") || entry.includes("$")))
        add(name, p("volumes_from", i), `volumes_from: ${entry}`, "mounts another container's volumes");
    for (const [i, entry] of toList(raw.volumes).entries()) {
      const source = bindSource(entry);
      if (source === undefined) continue;
      const why = await outside(source);
      if (why) add(name, p("volumes", i), `volumes: ${source}`, why);
    }
    const build = raw.build;
    if (isDict(build) && typeof build.network === "string" && (build.network === "host" || build.network.includes("$")))
      add(name, p("build", "network"), `build.network: ${build.network}`, "builds on the host's network");
    if (isDict(build) && build.privileged !== undefined && build.privileged !== false)
      add(name, p("build", "privileged"), "build.privileged", "gives the build root on the host");
  }
  const volumes = isDict(file.value.volumes) ? file.value.volumes : {};
  for (const [name, def] of Object.entries(volumes))
    if (isDict(def) && def.driver_opts !== undefined)
      add(`volume "${name}"`, ["volumes", name, "driver_opts"], "driver_opts", "can bind any host path into the stack");
  for (const section of ["secrets", "configs"] as const) {
    const defs = isDict(file.value[section]) ? (file.value[section] as Record<string, unknown>) : {};
    for (const [name, def] of Object.entries(defs)) {
      if (!isDict(def) || typeof def.file !== "string") continue;
      const why = await outside(def.file);
      if (why) add(`${section.slice(0, -1)} "${name}"`, [section, name, "file"], `file: ${def.file}`, why);
    }
  }
  return findings;
}

/**
 * The host path a service volume binds, or undefined for named and anonymous volumes. Short
 * syntax follows compose: a source starting with `.`, `/` or `~` (or holding a `/` or `$`) is a
 * host path, anything else names a volume.
 */
export function bindSource(entry: unknown): string | undefined {
  if (isDict(entry)) {
    if (entry.type === "bind" || entry.type === "npipe") return typeof entry.source === "string" ? entry.source : "";
    return undefined;
  }
  if (typeof entry !== "string") return undefined;
  const parts = entry.split(":");
  if (parts.length < 2) return undefined; // `/data`: an anonymous volume at that container path
  const source = parts[0] ?? "";
  return /^[./~]/.test(source) || source.includes("/") || source.includes("$") ? source : undefined;
}

function toList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
