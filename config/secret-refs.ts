import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isMap, isScalar } from "../core/index.js";
import { Secret } from "./secret.js";
import { ENV_NAME } from "./values.js";
import type { Reader, Slot } from "./yaml-reader.js";

/**
 * Secret references: `{env: NAME}` or `{file: /path}`. The config file is typically committed
 * or copied around, so a secret written in it is refused outright rather than warned about.
 */

export const PLAINTEXT_MESSAGE = "secrets must come from {env: ...} or {file: ...}";

export interface SecretContext {
  readonly env: NodeJS.ProcessEnv;
  /** Relative `{file: ...}` paths are resolved against the config file's directory. */
  readonly baseDir: string;
}

/** Reads and resolves a secret reference; every failure is a problem on `reader`. */
export function readSecretRef(reader: Reader, slot: Slot, ctx: SecretContext): Secret | undefined {
  const node = slot.node;
  if (isScalar(node) && node.value !== null && typeof node.value !== "object") {
    // The value itself is never echoed: it is the very thing that must not reach a log.
    return reader.report(
      slot,
      "SLIPWAY_E_CONFIG_PLAINTEXT_SECRET",
      `${PLAINTEXT_MESSAGE}; ${slot.path} holds a plain value (write ${slot.path.split(".").pop()}: {env: SOME_VARIABLE})`,
    );
  }
  if (!isMap(node)) return reader.typeError(slot, "a secret reference {env: NAME} or {file: /path}");
  const entries = reader.map(slot, ["env", "file"]);
  if (entries === undefined) return undefined;
  const envSlot = entries.get("env");
  const fileSlot = entries.get("file");
  if ((envSlot === undefined) === (fileSlot === undefined)) {
    return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path} needs exactly one of env or file`);
  }
  if (envSlot) {
    const name = reader.string(envSlot);
    if (name === undefined) return undefined;
    if (!ENV_NAME.test(name)) {
      return reader.report(envSlot, "SLIPWAY_E_CONFIG_BAD_VALUE", `"${name}" is not an environment variable name`);
    }
    const value = ctx.env[name];
    if (value === undefined || value === "") {
      return reader.report(
        envSlot,
        "SLIPWAY_E_CONFIG_SECRET_UNRESOLVED",
        `${slot.path}: environment variable ${name} is ${value === undefined ? "not set" : "empty"}`,
      );
    }
    return new Secret(value, `env ${name}`);
  }
  const path = fileSlot ? reader.string(fileSlot) : undefined;
  if (path === undefined || fileSlot === undefined) return undefined;
  const full = resolve(ctx.baseDir, path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return reader.report(
      fileSlot,
      "SLIPWAY_E_CONFIG_SECRET_UNRESOLVED",
      `${slot.path}: cannot read ${full} (${reason})`,
    );
  }
  // `echo secret > file` adds one newline that is not part of the secret; anything else is kept.
  const value = text.replace(/\r?\n$/, "");
  if (value === "") {
    return reader.report(fileSlot, "SLIPWAY_E_CONFIG_SECRET_UNRESOLVED", `${slot.path}: ${full} is empty`);
  }
  return new Secret(value, `file ${full}`);
}

/**
 * A user name: a plain string (user names are not secret, and masking a name like `git` in
 * every log line would shred the output) or a reference, resolved to its text.
 */
export function readUsername(reader: Reader, slot: Slot, ctx: SecretContext): string | undefined {
  if (isMap(slot.node)) return readSecretRef(reader, slot, ctx)?.reveal();
  const name = reader.string(slot);
  if (name === "") return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path} is empty`);
  return name;
}
