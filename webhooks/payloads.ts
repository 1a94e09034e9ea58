import { type HookRejection, reject } from "./errors.js";
import { checkFullRef, checkSha, isRejection, normaliseRef, printable, ZERO_SHA } from "./refs.js";
import type { Forge, RefEvent } from "./types.js";

/**
 * Forge payloads → the fields of a `RefEvent`. Only the few fields Slipway needs are read,
 * so payload additions by forge upgrades change nothing.
 */

export type Json = Record<string, unknown>;
export type RefFields = Pick<RefEvent, "kind" | "ref" | "sha" | "before" | "actor" | "repositoryUrl">;

function field(obj: unknown, ...path: string[]): unknown {
  let value = obj;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Json)[key] : undefined;
  return value;
}

/** The first of several paths holding a non-empty string. */
function firstString(obj: unknown, ...paths: string[][]): string | undefined {
  for (const path of paths) {
    const value = field(obj, ...path);
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** Actor and clone URL, which the three forges name differently. */
function describeSender(forge: Forge, body: Json): Pick<RefEvent, "actor" | "repositoryUrl"> {
  const actor =
    forge === "gitlab"
      ? firstString(body, ["user_username"], ["user_name"])
      : firstString(body, ["sender", "login"], ["sender", "username"], ["pusher", "login"], ["pusher", "name"]);
  const repositoryUrl =
    forge === "gitlab"
      ? firstString(body, ["project", "git_http_url"], ["repository", "git_http_url"], ["project", "web_url"])
      : firstString(body, ["repository", "clone_url"], ["repository", "html_url"]);
  return { ...(actor ? { actor } : {}), ...(repositoryUrl ? { repositoryUrl } : {}) };
}

/**
 * A push (GitHub, Gitea, GitLab push and tag push). A deletion is recognised by `deleted:
 * true` (GitHub) or an all-zero `after` (all three); `before` is all zeros when the ref is new.
 */
export function pushFields(forge: Forge, body: Json): RefFields | HookRejection {
  const ref = checkFullRef(body.ref);
  if (isRejection(ref)) return ref;
  const sender = describeSender(forge, body);
  const beforeRaw = body.before;
  let before: string | undefined;
  if (beforeRaw !== undefined && beforeRaw !== null) {
    const checked = checkSha(beforeRaw, "before");
    if (isRejection(checked)) return checked;
    if (checked !== ZERO_SHA) before = checked;
  }
  const withBefore = before ? { before } : {};
  const afterRaw = body.after;
  if (body.deleted === true || afterRaw === ZERO_SHA) {
    return { kind: "delete", ref: ref.ref, ...withBefore, ...sender };
  }
  const sha = checkSha(afterRaw, "after");
  if (isRejection(sha)) return sha;
  return { kind: ref.isTag ? "tag" : "push", ref: ref.ref, sha, ...withBefore, ...sender };
}

/**
 * GitHub/Gitea `create` and `delete`: a short name plus `ref_type`. GitHub's `create` carries
 * no commit id (Gitea's has `sha`), and GitHub also sends a `push` for the same change, so the
 * caller must de-duplicate on (repository, ref, resolved commit).
 */
export function createDeleteFields(forge: Forge, event: "create" | "delete", body: Json): RefFields | HookRejection {
  const type = body.ref_type;
  if (type !== "branch" && type !== "tag") {
    if (type === undefined) return reject("SLIPWAY_E_HOOK_MISSING_REF", `a ${event} event needs "ref_type"`);
    return reject(
      "SLIPWAY_E_HOOK_UNSUPPORTED_REF",
      `ref_type "${printable(String(type))}" is neither "branch" nor "tag"`,
    );
  }
  const name = body.ref;
  if (typeof name !== "string" || name === "")
    return reject("SLIPWAY_E_HOOK_MISSING_REF", 'the payload has no "ref" string');
  const full = name.startsWith("refs/") ? name : `refs/${type === "tag" ? "tags" : "heads"}/${name}`;
  const ref = checkFullRef(full);
  if (isRejection(ref)) return ref;
  const sender = describeSender(forge, body);
  if (event === "delete") return { kind: "delete", ref: ref.ref, ...sender };
  const kind = ref.isTag ? "tag" : "push";
  if (body.sha === undefined || body.sha === null) return { kind, ref: ref.ref, ...sender };
  const sha = checkSha(body.sha, "sha");
  if (isRejection(sha)) return sha;
  return { kind, ref: ref.ref, sha, ...sender };
}

const PLAIN_KEYS = ["ref", "sha"];

/** `{"ref": "develop" | "refs/heads/develop" | "refs/tags/v1.2", "sha"?: "<40 hex>"}`. */
export function plainFields(body: Json): RefFields | HookRejection {
  const unknown = Object.keys(body).filter((key) => !PLAIN_KEYS.includes(key));
  if (unknown.length > 0) {
    const keys = unknown.slice(0, 5).map((k) => `"${printable(k)}"`);
    return reject(
      "SLIPWAY_E_HOOK_UNKNOWN_FIELD",
      `unknown key ${keys.join(", ")} in the plain form, which takes only "ref" and "sha" ` +
        "(a forge payload? then the forge's event header, e.g. X-GitHub-Event, is missing)",
    );
  }
  const ref = normaliseRef(body.ref);
  if (isRejection(ref)) return ref;
  const kind = ref.isTag ? "tag" : "push";
  if (body.sha === undefined || body.sha === null) return { kind, ref: ref.ref };
  const sha = checkSha(body.sha, "sha");
  if (isRejection(sha)) return sha;
  // All zeros is how git itself spells "the ref is gone"; treat it like a forge's deletion.
  if (sha === ZERO_SHA) return { kind: "delete", ref: ref.ref };
  return { kind, ref: ref.ref, sha };
}
