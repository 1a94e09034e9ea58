import { isScalar } from "../core/index.js";
import { type NamedSlot, readWebhooks } from "./notifications.js";
import { readSecretRef, readUsername, type SecretContext } from "./secret-refs.js";
import type { RegistryConfig, RepositoryConfig } from "./types.js";
import {
  parseBranchGlob,
  parseConfigDuration,
  parseRegistryHost,
  parseRepositoryUrl,
  REPOSITORY_NAME,
  SHA256_HEX,
  TOKEN_NAME,
} from "./values.js";
import type { Reader, Slot } from "./yaml-reader.js";

/** Readers for the list sections of `slipway.config.yml`: repositories, registries, api_tokens. */

export const DEFAULT_BRANCHES = ["develop", "main", "master", "feature/*", "release/*", "hotfix/*"] as const;
export const DEFAULT_TAGS = "v*";

const REPOSITORY_KEYS = [
  "name",
  "url",
  "poll",
  "branches",
  "tags",
  "webhook_secret",
  "credentials",
  "trusted",
  "notifications",
] as const;
const CREDENTIAL_KEYS = ["username", "password"] as const;
const REGISTRY_KEYS = ["host", "username", "password"] as const;
const TOKEN_KEYS = ["name", "token_sha256"] as const;

/** Reports the second and later occurrences of the same identifying value. */
export function checkUnique(reader: Reader, items: { value: string; slot: Slot }[], what: string): void {
  const seen = new Set<string>();
  for (const { value, slot } of items) {
    if (seen.has(value)) reader.report(slot, "SLIPWAY_E_CONFIG_DUPLICATE", `${what} "${value}" is defined twice`);
    seen.add(value);
  }
}

export function readRepositories(
  reader: Reader,
  slot: Slot,
  ctx: SecretContext,
  webhookNames: NamedSlot[] = [],
): RepositoryConfig[] {
  const repos: RepositoryConfig[] = [];
  const names: { value: string; slot: Slot }[] = [];
  for (const item of reader.list(slot) ?? []) {
    const entries = reader.map(item, REPOSITORY_KEYS);
    if (entries === undefined) continue;
    const nameSlot = reader.require(entries, item, "name");
    const name = nameSlot && reader.string(nameSlot);
    if (nameSlot && name !== undefined) {
      if (REPOSITORY_NAME.test(name)) names.push({ value: name, slot: nameSlot });
      else
        reader.report(
          nameSlot,
          "SLIPWAY_E_CONFIG_BAD_VALUE",
          `repository name "${name}" must match [a-z0-9][a-z0-9._-]*`,
        );
    }
    const urlSlot = reader.require(entries, item, "url");
    const url = urlSlot && reader.string(urlSlot);
    const transport = urlSlot && url !== undefined ? parseRepositoryUrl(url) : undefined;
    if (urlSlot && transport && !transport.ok) {
      const code = transport.plaintextSecret ? "SLIPWAY_E_CONFIG_PLAINTEXT_SECRET" : "SLIPWAY_E_CONFIG_BAD_VALUE";
      // A URL with a password is not echoed back: the password is in it.
      reader.report(
        urlSlot,
        code,
        transport.plaintextSecret ? `${urlSlot.path}: ${transport.reason}` : transport.reason,
      );
    }
    const pollSeconds = readPoll(reader, entries.get("poll"));
    const branches = readBranches(reader, entries.get("branches"));
    const tagsSlot = entries.get("tags");
    const tags = tagsSlot ? reader.string(tagsSlot) : DEFAULT_TAGS;
    if (tagsSlot && tags === "") reader.report(tagsSlot, "SLIPWAY_E_CONFIG_BAD_VALUE", "tags must not be empty");
    const hookSlot = entries.get("webhook_secret");
    const webhookSecret = hookSlot && readSecretRef(reader, hookSlot, ctx);
    const trustedSlot = entries.get("trusted");
    // Untrusted by default: a pushed commit may not use host-level powers (docs/security.md).
    let trusted = false;
    if (trustedSlot) {
      if (isScalar(trustedSlot.node) && typeof trustedSlot.node.value === "boolean") trusted = trustedSlot.node.value;
      else reader.report(trustedSlot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${trustedSlot.path} takes true or false`);
    }
    const credSlot = entries.get("credentials");
    let credentials: RepositoryConfig["credentials"];
    if (credSlot) {
      const cred = reader.map(credSlot, CREDENTIAL_KEYS);
      const userSlot = cred && reader.require(cred, credSlot, "username");
      const passSlot = cred && reader.require(cred, credSlot, "password");
      const username = userSlot && readUsername(reader, userSlot, ctx);
      const password = passSlot && readSecretRef(reader, passSlot, ctx);
      if (username !== undefined && password !== undefined) credentials = { username, password };
      if (transport?.ok && transport.value !== "http") {
        reader.report(
          credSlot,
          "SLIPWAY_E_CONFIG_BAD_VALUE",
          `credentials are used only with http(s) URLs; ${transport.value} access uses the runner's SSH keys or file permissions`,
          true,
        );
      }
    }
    const notifySlot = entries.get("notifications");
    const notifications = notifySlot ? readWebhooks(reader, notifySlot, ctx, name ?? "", webhookNames) : [];
    if (name === undefined || url === undefined || !transport?.ok || pollSeconds === undefined) continue;
    if (branches === undefined || tags === undefined) continue;
    repos.push({
      name,
      url,
      transport: transport.value,
      pollSeconds,
      branches,
      tags,
      trusted,
      notifications,
      ...(webhookSecret ? { webhookSecret } : {}),
      ...(credentials ? { credentials } : {}),
    });
  }
  checkUnique(reader, names, "repository");
  return repos;
}

function readPoll(reader: Reader, slot: Slot | undefined): number | false | undefined {
  if (slot === undefined) return false;
  if (isScalar(slot.node) && slot.node.value === false) return false;
  if (isScalar(slot.node) && slot.node.value === true) {
    return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path} takes an interval like "1m", or false`);
  }
  const parsed = parseConfigDuration(isScalar(slot.node) ? slot.node.value : undefined);
  if (parsed.ok) return parsed.value;
  return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path}: ${parsed.reason}, or false`);
}

function readBranches(reader: Reader, slot: Slot | undefined): string[] | undefined {
  if (slot === undefined) return [...DEFAULT_BRANCHES];
  const items = reader.list(slot);
  if (items === undefined) return undefined;
  let valid = true;
  const globs: string[] = [];
  for (const item of items) {
    const text = reader.string(item);
    const parsed = text === undefined ? undefined : parseBranchGlob(text);
    if (parsed?.ok) globs.push(parsed.value);
    else {
      valid = false;
      if (parsed) reader.report(item, "SLIPWAY_E_CONFIG_BAD_VALUE", parsed.reason);
    }
  }
  return valid ? globs : undefined;
}

export function readRegistries(reader: Reader, slot: Slot, ctx: SecretContext): RegistryConfig[] {
  const registries: RegistryConfig[] = [];
  const hosts: { value: string; slot: Slot }[] = [];
  for (const item of reader.list(slot) ?? []) {
    const entries = reader.map(item, REGISTRY_KEYS);
    if (entries === undefined) continue;
    const hostSlot = reader.require(entries, item, "host");
    const hostText = hostSlot && reader.string(hostSlot);
    const host = hostText === undefined ? undefined : parseRegistryHost(hostText);
    if (hostSlot && host && !host.ok) reader.report(hostSlot, "SLIPWAY_E_CONFIG_BAD_VALUE", host.reason);
    if (hostSlot && host?.ok) hosts.push({ value: host.value, slot: hostSlot });
    const userSlot = reader.require(entries, item, "username");
    const passSlot = reader.require(entries, item, "password");
    const username = userSlot && readUsername(reader, userSlot, ctx);
    const password = passSlot && readSecretRef(reader, passSlot, ctx);
    if (host?.ok && username !== undefined && password !== undefined) {
      registries.push({ host: host.value, username, password });
    }
  }
  checkUnique(reader, hosts, "registry");
  return registries;
}

export interface TokenEntry {
  readonly name: string;
  readonly sha256: Buffer;
}

export function readApiTokens(reader: Reader, slot: Slot): TokenEntry[] {
  const tokens: TokenEntry[] = [];
  const names: { value: string; slot: Slot }[] = [];
  for (const item of reader.list(slot) ?? []) {
    const entries = reader.map(item, [...TOKEN_KEYS, "token"]);
    if (entries === undefined) continue;
    const clear = entries.get("token");
    if (clear) {
      reader.report(
        clear,
        "SLIPWAY_E_CONFIG_PLAINTEXT_SECRET",
        'an API token is never written in clear; give token_sha256 (printf %s "$TOKEN" | sha256sum) or set SLIPWAY_API_TOKEN',
        true,
      );
      continue;
    }
    const nameSlot = reader.require(entries, item, "name");
    const name = nameSlot && reader.string(nameSlot);
    if (nameSlot && name !== undefined && !TOKEN_NAME.test(name)) {
      reader.report(
        nameSlot,
        "SLIPWAY_E_CONFIG_BAD_VALUE",
        `token name "${name}" must match [A-Za-z0-9][A-Za-z0-9._@-]*`,
      );
    } else if (nameSlot && name !== undefined) names.push({ value: name, slot: nameSlot });
    const hashSlot = reader.require(entries, item, "token_sha256");
    const hash = hashSlot && reader.string(hashSlot);
    if (hashSlot && hash !== undefined && !SHA256_HEX.test(hash)) {
      reader.report(
        hashSlot,
        "SLIPWAY_E_CONFIG_BAD_VALUE",
        "token_sha256 must be 64 hexadecimal characters (a SHA-256 digest)",
      );
    } else if (name !== undefined && hash !== undefined && TOKEN_NAME.test(name)) {
      tokens.push({ name, sha256: Buffer.from(hash, "hex") });
    }
  }
  checkUnique(reader, names, "API token");
  return tokens;
}
