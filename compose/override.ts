import { isAbsolute, resolve } from "node:path";
import type { YAMLMap } from "yaml";
import { isMap, isScalar, stringifyYaml, YamlSource } from "../core/index.js";
import { ComposeError, type ComposePosition } from "./errors.js";
import { rewritePort } from "./ports.js";

/**
 * Why a complete file and not a compose "override" (`-f user.yml -f slipway.yml`): compose
 * merges `ports:` lists by appending, so an override cannot take `"9000:9000"` away, and two
 * stacks would still fight over host port 9000 (seen on v1.29; v2 does the same). Slipway
 * therefore reads the user's file, writes a transformed copy of all of it into a temp dir
 * and runs compose with `-f <copy> --project-directory <user file's dir>`, so relative paths
 * still resolve against the user's directory. The user's file is never edited.
 */
export interface StackFileOptions {
  /** Path of the user's compose file: used in error positions and to anchor `extends.file`. */
  file: string;
  /** Its text. */
  source: string;
  /** Directory relative paths resolve against (the user file's directory). */
  projectDirectory: string;
  /** Compose project name of this stack; explicitly named networks/volumes get it as prefix. */
  project: string;
  /** Labels put on every service (hence container), network and named volume. */
  labels: Record<string, string>;
}

/** The generated compose document for one stack. */
export interface StackFile {
  document: Record<string, unknown>;
  /** `document` as YAML, ready to be written to the temp dir. */
  yaml: string;
  /** All services of the file, and those `up` starts (services behind a `profiles:` are left out). */
  services: string[];
  defaultServices: string[];
  /** Network each service is attached to first (its key in `networks:`); `default` when none is given. */
  primaryNetwork: Record<string, string>;
  /** Things that still work but weaken isolation; the stage log shows them. */
  warnings: string[];
  ports: { service: string; from: unknown; to: string }[];
}

type Dict = Record<string, unknown>;

/** Builds the complete compose file of one test stack from the user's file (pure). */
export function buildOverride(opts: StackFileOptions): StackFile {
  const source = new YamlSource(opts.source, { compose: true });
  const { doc, firstError } = source;
  if (firstError) {
    const { line, column } = firstError;
    throw new ComposeError(
      "SLIPWAY_E_COMPOSE_FILE",
      `${opts.file}:${line}:${column}: not valid YAML: ${firstError.message}`,
      { position: { file: opts.file, line, column } },
    );
  }
  rejectContainerNames(doc.contents, opts.file, source);
  const root = doc.toJS({ maxAliasCount: -1 }) as unknown;
  if (!isDict(root) || !isDict(root.services) || Object.keys(root.services).length === 0) {
    throw new ComposeError(
      "SLIPWAY_E_COMPOSE_FILE",
      `${opts.file}: no \`services:\` found (compose file format 1 is not supported)`,
    );
  }
  const out: Dict = { ...root };
  const warnings: string[] = [];
  const ports: StackFile["ports"] = [];
  const primaryNetwork: Record<string, string> = {};
  const services: Dict = {};
  for (const [name, raw] of Object.entries(root.services)) {
    const svc: Dict = isDict(raw) ? { ...raw } : {};
    svc.labels = mergeLabels(svc.labels, opts.labels);
    if (Array.isArray(svc.ports)) {
      // Two host ports for one container port (`9000:9000` and `9001:9000`) become the same
      // ephemeral entry, which compose rejects as a duplicate: keep it once.
      const rewritten = svc.ports.map((entry) => {
        const rewrite = rewritePort(entry);
        if (rewrite.changed) ports.push({ service: name, from: rewrite.from, to: rewrite.to });
        return rewrite.to;
      });
      svc.ports = [...new Set(rewritten)];
    }
    if (svc.network_mode === "host")
      warnings.push(`service "${name}" uses network_mode: host: it shares the host's ports with every other stack`);
    const ext = svc.extends;
    if (isDict(ext) && typeof ext.file === "string" && !isAbsolute(ext.file)) {
      // The generated file lives in a temp dir; keep `extends.file` pointing at the user's file.
      svc.extends = { ...ext, file: resolve(opts.projectDirectory, ext.file) };
    }
    primaryNetwork[name] = firstNetwork(svc.networks);
    services[name] = svc;
  }
  out.services = services;
  // Network and volume labels need file format 2.1+; 2.0 files are otherwise compatible.
  if (out.version === "2" || out.version === "2.0" || out.version === 2) out.version = "2.1";
  out.networks = labelResources("network", root.networks, opts, warnings, true);
  if (root.volumes !== undefined) out.volumes = labelResources("volume", root.volumes, opts, warnings, false);
  const defaultServices = Object.entries(services)
    .filter(([, svc]) => !(Array.isArray((svc as Dict).profiles) && ((svc as Dict).profiles as unknown[]).length > 0))
    .map(([name]) => name);
  return {
    document: out,
    yaml: stringifyYaml(out, { lineWidth: 0 }),
    services: Object.keys(services),
    defaultServices,
    primaryNetwork,
    warnings,
    ports,
  };
}

/** `container_name` makes two copies of a stack collide: refuse it, pointing at the line. */
function rejectContainerNames(contents: unknown, file: string, source: YamlSource): void {
  if (!isMap(contents)) return;
  const services = contents.get("services", true);
  if (!isMap(services)) return;
  for (const pair of (services as YAMLMap).items) {
    if (!isMap(pair.value)) continue;
    for (const item of pair.value.items) {
      if (!isScalar(item.key) || item.key.value !== "container_name") continue;
      const service = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const pos = source.offsetPosition(item.key.range?.[0] ?? 0);
      const position: ComposePosition = { file, ...pos };
      const value = isScalar(item.value) ? String(item.value.value) : "";
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_CONTAINER_NAME",
        `${file}:${pos.line}:${pos.column}: service "${service}" sets container_name "${value}", but a test stack runs ` +
          `as several isolated copies at once and container names are global to the engine. Remove container_name; ` +
          `other services reach it by its service name "${service}".`,
        { service, position },
      );
    }
  }
}

function labelResources(
  kind: "network" | "volume",
  raw: unknown,
  opts: StackFileOptions,
  warnings: string[],
  addDefault: boolean,
): Dict {
  const entries: Dict = isDict(raw) ? { ...raw } : {};
  // The implicit `default` network exists whenever a service has no `networks:`; declaring it
  // lets it carry the labels too (compose still only creates networks that services use).
  if (addDefault && !("default" in entries)) entries.default = null;
  for (const [key, value] of Object.entries(entries)) {
    const def: Dict = isDict(value) ? { ...value } : {};
    if (def.external === true || isDict(def.external)) {
      warnings.push(
        `${kind} "${key}" is external: every copy of the stack (and anything else on this engine) shares it, so tests may see each other's data`,
      );
      continue;
    }
    if (typeof def.name === "string") {
      // A fixed name would be shared by all copies; keep it per project instead.
      const renamed = `${opts.project}_${def.name}`;
      warnings.push(`${kind} "${key}" has a fixed name "${def.name}"; this stack uses "${renamed}" to stay isolated`);
      def.name = renamed;
    }
    def.labels = mergeLabels(def.labels, opts.labels);
    entries[key] = def;
  }
  return entries;
}

/** Merges Slipway's labels into compose labels given as a mapping or as a `key=value` list. */
export function mergeLabels(existing: unknown, labels: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  if (Array.isArray(existing)) {
    for (const item of existing) {
      const text = String(item);
      const eq = text.indexOf("=");
      if (eq === -1) merged[text] = "";
      else merged[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isDict(existing)) {
    for (const [key, value] of Object.entries(existing)) merged[key] = value == null ? "" : String(value);
  }
  return { ...merged, ...labels };
}

function firstNetwork(networks: unknown): string {
  if (Array.isArray(networks) && networks.length > 0) return String(networks[0]);
  if (isDict(networks)) return Object.keys(networks)[0] ?? "default";
  return "default";
}

function isDict(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
