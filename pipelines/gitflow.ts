import { createHash } from "node:crypto";
import { nameGlob } from "../core/index.js";
import type { FlowConfig, FlowKind } from "./types.js";

/** What a git ref means under git-flow. */
export interface RefInfo {
  /** Full ref, e.g. `refs/heads/feature/login` or `refs/tags/v1.2.0`. */
  ref: string;
  /** Short name, e.g. `feature/login`. */
  name: string;
  kind: FlowKind;
  isTag: boolean;
  /** The part after a branch prefix: `1.2` for `release/1.2`, `login` for `feature/login`. */
  suffix?: string;
}

/** Git-flow's own defaults, with `main` as the production branch. */
export function defaultFlow(): FlowConfig {
  return { develop: "develop", main: "main", feature: "feature/", release: "release/", hotfix: "hotfix/", tag: "v*" };
}

/** A branch or tag glob (core's `nameGlob`: `*` spans `/` too, as ref names are flat strings). */
export function globMatch(pattern: string, text: string): boolean {
  return nameGlob(pattern)(text);
}

const MAIN_ALIASES = ["main", "master"];

/**
 * Classifies `ref` (`refs/heads/x`, `refs/tags/x` or a bare name) under `flow`. A bare name is
 * a branch unless `opts.isTag` says it came from a tag. Tags matching `flow.tag` are kind
 * `tag`; other tags and unrecognised branches are `other`.
 */
export function classifyRef(ref: string, flow: FlowConfig, opts: { isTag?: boolean } = {}): RefInfo {
  let name = ref;
  let isTag = opts.isTag === true;
  if (ref.startsWith("refs/tags/")) {
    name = ref.slice("refs/tags/".length);
    isTag = true;
  } else if (ref.startsWith("refs/heads/")) {
    name = ref.slice("refs/heads/".length);
    isTag = false;
  }
  const full = `${isTag ? "refs/tags/" : "refs/heads/"}${name}`;
  if (isTag) return { ref: full, name, kind: globMatch(flow.tag, name) ? "tag" : "other", isTag };
  if (name === flow.develop) return { ref: full, name, kind: "develop", isTag };
  // Repositories are split between `main` and `master`; unless the production branch is
  // configured to something else, either name counts, so the default flow just works.
  const mains = MAIN_ALIASES.includes(flow.main) ? MAIN_ALIASES : [flow.main];
  if (mains.includes(name)) return { ref: full, name, kind: "main", isTag };
  // Longest prefix wins, so overlapping custom prefixes (`rel/`, `rel/hot/`) stay predictable.
  const prefixes = (["feature", "release", "hotfix"] as const)
    .map((kind) => ({ kind, prefix: flow[kind] }))
    .filter((p) => p.prefix !== "" && name.startsWith(p.prefix) && name.length > p.prefix.length)
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const match = prefixes[0];
  if (match) return { ref: full, name, kind: match.kind, isTag, suffix: name.slice(match.prefix.length) };
  return { ref: full, name, kind: "other", isTag };
}

const MAX_TAG = 128;

function sanitizeWithin(original: string, max: number): string {
  let s = original
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[.-]+/, "");
  if (s.length > max) {
    // Cutting alone would map different long names to one tag; a digest of the original keeps
    // them apart while staying deterministic across runs and runners.
    const digest = createHash("sha256").update(original).digest("hex").slice(0, 8);
    s = `${s.slice(0, max - 9).replace(/-+$/, "")}-${digest}`;
  }
  return s === "" ? "unnamed" : s;
}

/**
 * Makes `s` a valid Docker tag (`[A-Za-z0-9_.-]`, first character alphanumeric or `_`, at most
 * 128 characters): lowercased, invalid characters to `-`, runs of `-` collapsed, leading `.`/`-`
 * trimmed; names too long are cut and suffixed with 8 hex digits of their SHA-256.
 */
export function sanitizeTag(s: string): string {
  return sanitizeWithin(s, MAX_TAG);
}

/** `<name><suffix>` with the suffix (the run number) always intact, however long the name. */
function withSuffix(name: string, suffix: string): string {
  return `${sanitizeWithin(name, MAX_TAG - suffix.length).replace(/-+$/, "")}${suffix}`;
}

export interface VersionInfo {
  /** The version of this run's image, also usable as an image tag. */
  version: string;
  /** Image tags for this run; for feature, main and other refs they stay local. */
  tags: string[];
}

/** The version and image tags of run `runNumber` of a ref, per the table in DESIGN.md. */
export function computeVersion(info: RefInfo, runNumber: number): VersionInfo {
  if (!Number.isInteger(runNumber) || runNumber < 0) {
    throw new RangeError(`run number must be a non-negative integer, got ${runNumber}`);
  }
  switch (info.kind) {
    case "develop": {
      const version = `develop-${runNumber}`;
      return { version, tags: [version, "develop"] };
    }
    case "release":
    case "hotfix": {
      const version = withSuffix(info.suffix ?? info.name, `-rc.${runNumber}`);
      return { version, tags: [version] };
    }
    case "tag": {
      // The version doubles as an image tag, so even a release tag is sanitised (`v1+b` → `v1-b`).
      const version = sanitizeTag(info.name);
      return { version, tags: [version, "latest"] };
    }
    case "feature": {
      const version = withSuffix(`feature-${info.suffix ?? info.name}`, `-${runNumber}`);
      return { version, tags: [version] };
    }
    case "main":
      return { version: `main-${runNumber}`, tags: [`main-${runNumber}`] };
    default: {
      const version = withSuffix(info.name, `-${runNumber}`);
      return { version, tags: [version] };
    }
  }
}
