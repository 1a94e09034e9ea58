import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { DEFAULT_BRANCHES, loadConfig, Secret } from "../../../config/index.js";
import { configError, tempDir, withConfig } from "./helpers.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const FULL = `
listen: 0.0.0.0:9000
data_dir: data
runner_id: ci-1@build.acme.test
concurrency: 4
log_retention: 12h
shutdown_grace: 2m
public_read: false
api_tokens:
  - name: dashboard
    token_sha256: ${sha256("dashboard-token-0123456789")}
repositories:
  - name: go-auth
    url: https://github.com/acme/go-auth.git
    poll: 5m
    branches: [develop, "release/*"]
    tags: "release-*"
    webhook_secret: {env: GO_AUTH_HOOK}
    credentials:
      username: ci-bot
      password: {file: git-password}
  - name: messenger
    url: git@gitea.acme.test:acme/messenger.git
registries:
  - host: 127.0.0.1:5000
    username: {env: REGISTRY_USER}
    password: {env: REGISTRY_PASSWORD}
`;

const ENV = { GO_AUTH_HOOK: "hook-secret-value", REGISTRY_USER: "pusher", REGISTRY_PASSWORD: "reg-pass-value" };

describe("loadConfig", () => {
  it("uses the defaults when there is no file and no environment", () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd, hostname: "box" });
    expect(config).toMatchObject({
      listen: { host: "127.0.0.1", port: 8080 },
      dataDir: join(cwd, ".slipway-data"),
      runnerId: "serve@box",
      concurrency: 2,
      logRetentionSeconds: 30 * 86400,
      shutdownGraceSeconds: 30,
      publicRead: true,
      apiTokens: [],
      repositories: [],
      registries: [],
    });
    expect(config.file).toBeUndefined();
    expect(config.store).toBeUndefined();
    expect(config.verifyToken("anything")).toBeUndefined();
    expect(config.secrets()).toEqual([]);
  });

  it("reads every key of a full file, resolving secrets and relative paths against the file", () => {
    const cwd = withConfig(FULL, { "git-password": "git-pass-value\n" });
    const config = loadConfig({ env: ENV, cwd, hostname: "box" });
    expect(config.file).toBe(join(cwd, "slipway.config.yml"));
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(config.dataDir).toBe(join(cwd, "data"));
    expect(config.runnerId).toBe("ci-1@build.acme.test");
    expect(config.concurrency).toBe(4);
    expect(config.logRetentionSeconds).toBe(12 * 3600);
    expect(config.shutdownGraceSeconds).toBe(120);
    expect(config.publicRead).toBe(false);
    expect(config.apiTokens).toEqual([{ name: "dashboard", source: "file" }]);
    const [goAuth, messenger] = config.repositories;
    expect(goAuth).toMatchObject({
      name: "go-auth",
      transport: "http",
      pollSeconds: 300,
      branches: ["develop", "release/*"],
      tags: "release-*",
    });
    expect(goAuth?.webhookSecret?.reveal()).toBe("hook-secret-value");
    expect(goAuth?.credentials?.username).toBe("ci-bot");
    expect(goAuth?.credentials?.password.reveal()).toBe("git-pass-value");
    expect(messenger).toMatchObject({
      transport: "scp",
      pollSeconds: false,
      branches: [...DEFAULT_BRANCHES],
      tags: "v*",
    });
    expect(messenger?.webhookSecret).toBeUndefined();
    expect(config.registries[0]).toMatchObject({ host: "127.0.0.1:5000", username: "pusher" });
    expect(config.repository("messenger")).toBe(messenger);
    expect(config.repository("nope")).toBeUndefined();
    expect(config.secrets().sort()).toEqual(["git-pass-value", "hook-secret-value", "reg-pass-value"]);
  });

  it("lets SLIPWAY_* variables override the file", () => {
    const cwd = withConfig("listen: 0.0.0.0:9000\nconcurrency: 4\npublic_read: true\n");
    const config = loadConfig({
      cwd,
      env: {
        SLIPWAY_LISTEN: "[::1]:7000",
        SLIPWAY_DATA_DIR: "state",
        SLIPWAY_STORE_URL: "postgres://slipway:pg-pass@db.acme.test/slipway",
        SLIPWAY_RUNNER_ID: "runner-7",
        SLIPWAY_CONCURRENCY: "8",
        SLIPWAY_LOG_RETENTION: "7d",
        SLIPWAY_SHUTDOWN_GRACE: "90s",
        SLIPWAY_PUBLIC_READ: "no",
        SLIPWAY_CONCURRENCY_UNRELATED: "x",
      },
    });
    expect(config).toMatchObject({
      listen: { host: "::1", port: 7000 },
      dataDir: join(cwd, "state"),
      runnerId: "runner-7",
      concurrency: 8,
      logRetentionSeconds: 7 * 86400,
      shutdownGraceSeconds: 90,
      publicRead: false,
    });
    expect(config.store?.reveal()).toBe("postgres://slipway:pg-pass@db.acme.test/slipway");
    expect(config.secrets()).toContain("pg-pass");
  });

  it("treats empty variables as unset", () => {
    const config = loadConfig({ cwd: tempDir(), env: { SLIPWAY_CONCURRENCY: "", SLIPWAY_LISTEN: "" } });
    expect(config.concurrency).toBe(2);
  });

  it("accepts an empty or comment-only file as all defaults", () => {
    expect(loadConfig({ cwd: withConfig("# nothing yet\n"), env: {} }).concurrency).toBe(2);
    expect(loadConfig({ cwd: withConfig(""), env: {} }).repositories).toEqual([]);
  });

  it("finds the file from --config, then $SLIPWAY_CONFIG, then the working directory", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.yml"), "concurrency: 3\n");
    writeFileSync(join(dir, "b.yml"), "concurrency: 5\n");
    writeFileSync(join(dir, "slipway.config.yml"), "concurrency: 7\n");
    expect(loadConfig({ file: "a.yml", env: { SLIPWAY_CONFIG: "b.yml" }, cwd: dir }).concurrency).toBe(3);
    expect(loadConfig({ env: { SLIPWAY_CONFIG: join(dir, "b.yml") }, cwd: "/" }).concurrency).toBe(5);
    expect(loadConfig({ env: {}, cwd: dir }).concurrency).toBe(7);
  });

  it("refuses a missing explicit file with NOT_FOUND instead of falling back to defaults", () => {
    const cwd = tempDir();
    for (const options of [{ file: "missing.yml", env: {} }, { env: { SLIPWAY_CONFIG: "missing.yml" } }]) {
      const err = configError(() => loadConfig({ ...options, cwd }));
      expect(err.code).toBe("SLIPWAY_E_CONFIG_NOT_FOUND");
      expect(err.message).toContain(join(cwd, "missing.yml"));
    }
    expect(configError(() => loadConfig({ file: ".", env: {}, cwd })).code).toBe("SLIPWAY_E_CONFIG_NOT_FOUND");
  });

  it("returns a deep-frozen configuration", () => {
    const config = loadConfig({ env: ENV, cwd: withConfig(FULL, { "git-password": "pw" }) });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(Object.isFrozen(config.repositories[0]?.branches)).toBe(true);
    expect(() => {
      (config as { concurrency: number }).concurrency = 99;
    }).toThrow(TypeError);
    expect(() => (config.repositories as unknown[]).push({})).toThrow(TypeError);
  });
});

describe("API tokens", () => {
  it("verifies tokens from the file and from SLIPWAY_API_TOKEN, naming the match", () => {
    const cwd = withConfig(
      `api_tokens:\n  - name: dashboard\n    token_sha256: ${sha256("dashboard-token-0123456789").toUpperCase()}\n`,
    );
    const config = loadConfig({ cwd, env: { SLIPWAY_API_TOKEN: "env-token-abcdefghijkl" } });
    expect(config.verifyToken("dashboard-token-0123456789")).toBe("dashboard");
    expect(config.verifyToken("env-token-abcdefghijkl")).toBe("$SLIPWAY_API_TOKEN");
    expect(config.verifyToken("dashboard-token-012345678")).toBeUndefined();
    expect(config.verifyToken("")).toBeUndefined();
    expect(config.apiTokens.map((t) => t.source)).toEqual(["file", "env"]);
  });

  it("keeps the environment token out of the object and its serialisation", () => {
    const config = loadConfig({ cwd: tempDir(), env: { SLIPWAY_API_TOKEN: "env-token-abcdefghijkl" } });
    expect(JSON.stringify(config)).not.toContain("env-token");
    expect(inspect(config, { depth: 10 })).not.toContain("env-token");
    // In the masking list (issue 7): a step that echoes it must not show it.
    expect(config.secrets()).toEqual(["env-token-abcdefghijkl"]);
  });
});

describe("Secret", () => {
  it("prints [secret] in every accidental way and reveals only on request", () => {
    const secret = new Secret("hunter2hunter2", "env X");
    expect(String(secret)).toBe("[secret]");
    expect(`${secret}`).toBe("[secret]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
    expect(inspect({ nested: { secret } }, { depth: 5, showHidden: true })).not.toContain("hunter2");
    expect({ ...secret }).not.toHaveProperty("value");
    expect(secret.reveal()).toBe("hunter2hunter2");
    expect(secret.source).toBe("env X");
  });

  it("keeps secrets out of a logged or serialised configuration", () => {
    const config = loadConfig({ env: ENV, cwd: withConfig(FULL, { "git-password": "git-pass-value" }) });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 20 })]) {
      for (const value of config.secrets()) expect(text).not.toContain(value);
    }
  });
});
