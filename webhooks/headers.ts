import { createHash } from "node:crypto";
import type { Forge } from "./types.js";

/**
 * Case-insensitive access to request headers. Node lower-cases names, but tests and other
 * callers may not; a header sent twice yields its first value.
 */
export class Headers {
  readonly #values = new Map<string, string>();

  constructor(raw: Readonly<Record<string, string | string[] | undefined>>) {
    for (const [name, value] of Object.entries(raw)) {
      const first = Array.isArray(value) ? value[0] : value;
      const key = name.toLowerCase();
      if (first !== undefined && !this.#values.has(key)) this.#values.set(key, first);
    }
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }
}

export interface ForgeEvent {
  readonly forge: Forge;
  /** The event header's value; empty for the plain form. */
  readonly event: string;
}

/**
 * Which forge sent the request. Gitea is checked first because it also sends
 * `X-GitHub-Event` (and `X-Gogs-Event`) for compatibility, with its own payload quirks.
 */
export function detectForge(headers: Headers): ForgeEvent {
  const gitea = headers.get("x-gitea-event") ?? headers.get("x-gogs-event");
  if (gitea !== undefined) return { forge: "gitea", event: gitea.trim() };
  const gitlab = headers.get("x-gitlab-event");
  if (gitlab !== undefined) return { forge: "gitlab", event: gitlab.trim() };
  const github = headers.get("x-github-event");
  if (github !== undefined) return { forge: "github", event: github.trim() };
  return { forge: "plain", event: "" };
}

const DELIVERY_HEADERS: Record<Forge, string[]> = {
  github: ["x-github-delivery"],
  gitea: ["x-gitea-delivery", "x-gogs-delivery", "x-github-delivery"],
  gitlab: ["x-gitlab-event-uuid"],
  plain: [],
};

/** Printable, bounded: the id ends up in logs and a database column. */
const DELIVERY_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The forge's delivery id (stable across its retries, so the caller can de-duplicate), else
 * `X-Request-Id`, else the body's SHA-256: identical bodies are then the same delivery.
 */
export function deliveryId(forge: Forge, headers: Headers, body: Buffer): string {
  for (const name of [...DELIVERY_HEADERS[forge], "x-request-id"]) {
    const value = headers.get(name)?.trim();
    if (value !== undefined && DELIVERY_ID.test(value)) return value;
  }
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}
