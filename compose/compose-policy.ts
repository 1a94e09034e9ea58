import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Document, Node } from "yaml";
import { isMap, isSeq, YamlSource } from "../core/index.js";
import { containPath, repoRelative } from "../engine/index.js";
import { ComposeError } from "./errors.js";
import type { PositionedFile } from "./positioned-file.js";
import { untrustedFindings } from "./trust-rules.js";

/** What the compose policy needs to know about one compose file of a pipeline. */
export interface ComposePolicyOptions {
  /** The checkout (pipeline root): every path the file names must resolve inside it. */
  checkout: string;
  /** Real absolute path of the compose file (already contained, see containPath). */
  file: string;
  /** Whether the repository is trusted: untrusted stacks get no host-level powers. */
  trusted: boolean;
}

const MAX_FILES = 64;

/**
 * Checks a compose file and every file it pulls in (`extends.file`, `include`) before compose
 * reads any of them: paths that compose resolves on the host (`extends.file`, `include`,
 * `env_file`, `build.context`, `build.dockerfile`) must stay inside the checkout for every
 * repository; an untrusted repository's services additionally get no host-level powers
 * (see trust-rules.ts). Deploys call this too, with the environment's compose file.
 * Throws ContainmentError (paths) or ComposeError SLIPWAY_E_COMPOSE_UNTRUSTED.
 */
export async function checkComposePolicy(opts: ComposePolicyOptions): Promise<void> {
  const queue = [opts.file];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const abs = queue.shift() as string;
    if (seen.has(abs)) continue;
    seen.add(abs);
    if (seen.size > MAX_FILES)
      throw new ComposeError("SLIPWAY_E_COMPOSE_FILE", `more than ${MAX_FILES} compose files through extends/include`);
    const file = await readPositioned(opts.checkout, abs);
    queue.push(...(await containReferences(opts.checkout, file)));
    if (!opts.trusted) {
      const findings = await untrustedFindings(opts.checkout, file);
      const first = findings[0];
      if (first) {
        throw new ComposeError(
          "SLIPWAY_E_COMPOSE_UNTRUSTED",
          `${first.at}: ${/^[\w.-]+$/.test(first.service) ? `service "${first.service}"` : first.service}: ${first.key} ${first.why}, which an untrusted repository may not do` +
            (findings.length > 1 ? ` (and ${findings.length - 1} more such setting(s))` : "") +
            `. If the repository is yours to trust, set \`trusted: true\` on it in slipway.config.yml (docs/security.md).`,
          { service: first.service, position: first.position },
        );
      }
    }
  }
}

/** Reads and parses one compose file; a YAML error is SLIPWAY_E_COMPOSE_FILE with its position. */
export async function readPositioned(checkout: string, abs: string): Promise<PositionedFile> {
  const shown = repoRelative(checkout, abs);
  const text = await readFile(abs, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new ComposeError("SLIPWAY_E_COMPOSE_FILE", `cannot read compose file ${shown} (${err.code ?? "error"})`);
  });
  const source = new YamlSource(text, { compose: true });
  const { doc, firstError } = source;
  if (firstError) {
    throw new ComposeError(
      "SLIPWAY_E_COMPOSE_FILE",
      `${shown}:${firstError.line}:${firstError.column}: not valid YAML: ${firstError.message}`,
    );
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  const at = (path: (string | number)[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const offset = offsetOf(doc, path.slice(0, n));
      if (offset !== undefined) {
        const pos = source.offsetPosition(offset);
        return `${shown}:${pos.line}:${pos.column}`;
      }
    }
    return `${shown}:1:1`;
  };
  return { shown, abs, doc, value: isDict(value) ? value : {}, at };
}

/** Offset of the key (in a map) or the item (in a sequence) at `path`, following the AST. */
function offsetOf(doc: Document, path: (string | number)[]): number | undefined {
  if (path.length === 0) return 0;
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) return undefined;
      offset = (pair.key as Node).range?.[0];
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number") {
      const item = node.items[step] as Node | undefined;
      if (!item) return undefined;
      offset = item.range?.[0];
      node = item;
    } else return undefined;
  }
  return offset;
}

/** Contains every path compose resolves on the host; returns the compose files to check next. */
async function containReferences(checkout: string, file: PositionedFile): Promise<string[]> {
  const next: string[] = [];
  const base = dirname(file.abs);
  const contain = (
    path: unknown,
    at: (string | number)[],
    what: string,
    kind: "file" | "directory",
    missingOk = false,
  ) =>
    typeof path === "string"
      ? containPath({ root: checkout, base, path, what: `${file.at(at)}: ${what}`, kind, allowMissing: missingOk })
      : Promise.resolve(undefined);
  const include = file.value.include;
  if (Array.isArray(include)) {
    for (const [i, entry] of include.entries()) {
      const paths = isDict(entry) ? entry.path : entry;
      for (const [j, p] of (Array.isArray(paths) ? paths : [paths]).entries()) {
        const at = isDict(entry) ? ["include", i, "path", ...(Array.isArray(paths) ? [j] : [])] : ["include", i];
        const real = await contain(p, at, "include", "file");
        if (real) next.push(real);
      }
      if (isDict(entry)) {
        for (const [j, p] of toList(entry.env_file).entries())
          await contain(p, ["include", i, "env_file", j], "include env_file", "file");
        await contain(
          entry.project_directory,
          ["include", i, "project_directory"],
          "include project_directory",
          "directory",
        );
      }
    }
  }
  const services = isDict(file.value.services) ? file.value.services : {};
  for (const [name, raw] of Object.entries(services)) {
    if (!isDict(raw)) continue;
    const svc = (key: string, ...rest: (string | number)[]) => ["services", name, key, ...rest];
    const ext = raw.extends;
    if (isDict(ext) && ext.file !== undefined) {
      const real = await contain(ext.file, svc("extends", "file"), `service "${name}": extends.file`, "file");
      if (real) next.push(real);
    }
    for (const [i, entry] of toList(raw.env_file).entries()) {
      const path = isDict(entry) ? entry.path : entry;
      const optional = isDict(entry) && entry.required === false;
      await contain(path, svc("env_file", i), `service "${name}": env_file`, "file", optional);
    }
    const build = raw.build;
    const context = typeof build === "string" ? build : isDict(build) ? (build.context ?? ".") : undefined;
    if (typeof context === "string" && !isRemoteContext(context)) {
      const real = await contain(
        context,
        svc("build", ...(isDict(build) ? ["context"] : [])),
        `service "${name}": build.context`,
        "directory",
      );
      if (real && isDict(build) && typeof build.dockerfile === "string")
        await containPath({
          root: checkout,
          base: real,
          path: build.dockerfile,
          what: `${file.at(svc("build", "dockerfile"))}: service "${name}": build.dockerfile`,
          kind: "file",
        });
    }
  }
  return next;
}

/** A build context compose fetches itself (git or http URL), not a host path. */
function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith("git@") || context.startsWith("github.com/");
}

function toList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
