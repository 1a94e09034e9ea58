import { type HookRejection, reject } from "./errors.js";

/**
 * Checks on refs and commit ids from payloads. Refs end up as arguments to git, so anything
 * git itself would refuse (or could read as an option, like a leading `-`) is refused here.
 */

export const ZERO_SHA = "0".repeat(40);
const SHA = /^[0-9a-f]{40}$/i;

/** `git check-ref-format`'s rules for one branch or tag name, minus the exotic ones. */
function badRefName(name: string): string | undefined {
  if (name === "") return "the name is empty";
  if (name.length > 255) return "the name is longer than 255 characters";
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return "it contains a space, a control character or one of ~^:?*[\\";
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return 'it contains "..", "@{" or "//"';
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) {
    return "it starts with - or /, or ends with / or .";
  }
  if (name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return 'a path component starts with "." or ends with ".lock"';
  }
  return undefined;
}

/**
 * A full ref from a payload: `refs/heads/<name>` or `refs/tags/<name>`. Other namespaces
 * (`refs/pull/...`, `refs/merge-requests/...`) are valid git but nothing Slipway builds.
 */
export function checkFullRef(ref: unknown, field = "ref"): { ref: string; isTag: boolean } | HookRejection {
  if (typeof ref !== "string" || ref === "") {
    return reject("SLIPWAY_E_HOOK_MISSING_REF", `the payload has no "${field}" string`);
  }
  const match = /^refs\/(heads|tags)\/(.*)$/s.exec(ref);
  if (match === null) {
    return ref.startsWith("refs/")
      ? reject(
          "SLIPWAY_E_HOOK_UNSUPPORTED_REF",
          `"${printable(ref)}" is neither a branch (refs/heads/) nor a tag (refs/tags/)`,
        )
      : reject("SLIPWAY_E_HOOK_BAD_REF", `"${printable(ref)}" is not a full ref like refs/heads/develop`);
  }
  const why = badRefName(match[2] ?? "");
  if (why !== undefined) return reject("SLIPWAY_E_HOOK_BAD_REF", `"${printable(ref)}" is not a valid ref: ${why}`);
  return { ref, isTag: match[1] === "tags" };
}

/**
 * A ref as a user types it in the plain form: `develop` means the branch, `refs/heads/x` and
 * `refs/tags/x` are taken as they are. A bare tag name is not guessed at: `v1.2` could be a branch.
 */
export function normaliseRef(ref: unknown): { ref: string; isTag: boolean } | HookRejection {
  if (typeof ref === "string" && ref !== "" && !ref.startsWith("refs/")) return checkFullRef(`refs/heads/${ref}`);
  return checkFullRef(ref);
}

/** A commit id, lower-cased; `field` names it in the message. */
export function checkSha(value: unknown, field: string): string | HookRejection {
  if (typeof value === "string" && SHA.test(value)) return value.toLowerCase();
  const shown = typeof value === "string" ? `"${printable(value)}"` : value === undefined ? "missing" : typeof value;
  return reject("SLIPWAY_E_HOOK_BAD_SHA", `"${field}" must be a 40-character hexadecimal commit id, got ${shown}`);
}

export function isRejection(value: unknown): value is HookRejection {
  return typeof value === "object" && value !== null && (value as { ok?: unknown }).ok === false;
}

/** Untrusted text echoed in a message: bounded and without control characters. */
export function printable(text: string): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, "?");
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
