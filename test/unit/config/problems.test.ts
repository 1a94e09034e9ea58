import { describe, expect, it } from "vitest";
import { formatConfigProblem, loadConfig } from "../../../config/index.js";
import { configError, problemsOf, tempDir, withConfig } from "./helpers.js";

/** Each kind of mistake, with the exact code and position it must be reported at. */

const repo = (extra: string, url = "https://git.acme.test/acme/x.git") =>
  `repositories:\n  - name: x\n    url: ${url}\n${extra}`;

describe("problems in the file", () => {
  it.each([
    ["YAML syntax", "listen: [127.0.0.1:8080\n", ["SYNTAX@2:1"]],
    ["a duplicate key", "concurrency: 1\nconcurrency: 2\n", ["DUPLICATE@2:1"]],
    ["a list as root", "- listen\n", ["TYPE@1:1"]],
    ["an unknown root key", "concurency: 2\n", ["UNKNOWN_KEY@1:1"]],
    ["a listen without host", "listen: 8080\n", ["BAD_VALUE@1:9"]],
    ["a listen port out of range", "listen: 0.0.0.0:70000\n", ["BAD_VALUE@1:9"]],
    ["a concurrency of 0", "concurrency: 0\n", ["BAD_VALUE@1:14"]],
    ["a fractional concurrency", "concurrency: 1.5\n", ["BAD_VALUE@1:14"]],
    ["a map for concurrency", "concurrency: {n: 2}\n", ["TYPE@1:14"]],
    ["a duration without unit", "log_retention: 30\n", ["BAD_VALUE@1:16"]],
    ["a duration in the wrong unit order", "log_retention: 30m1h\n", ["BAD_VALUE@1:16"]],
    ["a string for public_read", "public_read: maybe\n", ["BAD_VALUE@1:14"]],
    ["~ in data_dir", "data_dir: ~/slipway\n", ["BAD_VALUE@1:11"]],
    ["an unknown store scheme", "store: mysql://db/slipway\n", ["BAD_VALUE@1:8"]],
    ["a password in the store URL", "store: postgres://u:pw@db/slipway\n", ["PLAINTEXT_SECRET@1:8"]],
    ["a runner id with spaces", "runner_id: my runner\n", ["BAD_VALUE@1:12"]],
    ["a clear API token", "api_tokens:\n  - name: ci\n    token: abc\n", ["PLAINTEXT_SECRET@3:5"]],
    ["a short token digest", "api_tokens:\n  - name: ci\n    token_sha256: abc\n", ["BAD_VALUE@3:19"]],
    ["a token without name", `api_tokens:\n  - token_sha256: ${"a".repeat(64)}\n`, ["REQUIRED@2:5"]],
    [
      "two tokens with one name",
      `api_tokens:\n  - {name: ci, token_sha256: ${"a".repeat(64)}}\n  - {name: ci, token_sha256: ${"b".repeat(64)}}\n`,
      ["DUPLICATE@3:12"],
    ],
    ["repositories as a map", "repositories:\n  name: x\n", ["TYPE@2:3"]],
    ["a repository without url", "repositories:\n  - name: x\n", ["REQUIRED@2:5"]],
    ["an upper-case repository name", "repositories:\n  - name: Go-Auth\n    url: /srv/git/a\n", ["BAD_VALUE@2:11"]],
    ["a relative repository path", repo("", "srv/git/x"), ["BAD_VALUE@3:10"]],
    ["an unknown URL scheme", repo("", "ftp://host/x.git"), ["BAD_VALUE@3:10"]],
    ["a URL without path", repo("", "https://git.acme.test"), ["BAD_VALUE@3:10"]],
    ["a broken scp URL", repo("", "git@host://x.git"), ["BAD_VALUE@3:10"]],
    ["a password in the URL", repo("", "https://bob:pw@git.acme.test/x.git"), ["PLAINTEXT_SECRET@3:10"]],
    ["poll: true", repo("    poll: true\n"), ["BAD_VALUE@4:11"]],
    ["poll without unit", repo("    poll: 60\n"), ["BAD_VALUE@4:11"]],
    ["a ref among branches", repo("    branches: [refs/heads/main]\n"), ["BAD_VALUE@4:16"]],
    ["branches as a string", repo("    branches: develop\n"), ["TYPE@4:15"]],
    ["a plain webhook secret", repo("    webhook_secret: hunter2\n"), ["PLAINTEXT_SECRET@4:21"]],
    ["a numeric webhook secret", repo("    webhook_secret: 123456\n"), ["PLAINTEXT_SECRET@4:21"]],
    ["an unset secret variable", repo("    webhook_secret: {env: NOT_SET}\n"), ["SECRET_UNRESOLVED@4:27"]],
    ["a secret variable with a bad name", repo("    webhook_secret: {env: 1X}\n"), ["BAD_VALUE@4:27"]],
    ["both env and file", repo("    webhook_secret: {env: A, file: /b}\n"), ["BAD_VALUE@4:21"]],
    ["an unknown secret ref key", repo("    webhook_secret: {vault: x}\n"), ["BAD_VALUE@4:21", "UNKNOWN_KEY@4:22"]],
    [
      "an unreadable secret file",
      repo("    webhook_secret: {file: /nonexistent/secret}\n"),
      ["SECRET_UNRESOLVED@4:28"],
    ],
    ["a plain password", repo("    credentials: {username: bob, password: pw}\n"), ["PLAINTEXT_SECRET@4:44"]],
    ["credentials without password", repo("    credentials: {username: bob}\n"), ["REQUIRED@4:18"]],
    [
      "credentials for an ssh URL",
      repo("    credentials: {username: bob, password: {env: HOME}}\n", "ssh://git@host/x.git"),
      ["BAD_VALUE@4:5"],
    ],
    [
      "two repositories with one name",
      "repositories:\n  - {name: x, url: /a}\n  - {name: x, url: /b}\n",
      ["DUPLICATE@3:12"],
    ],
    [
      "a registry URL instead of host",
      "registries:\n  - {host: 'https://r.io', username: u, password: {env: HOME}}\n",
      ["BAD_VALUE@2:12"],
    ],
    [
      "a plain registry password",
      "registries:\n  - {host: r.io, username: u, password: pw}\n",
      ["PLAINTEXT_SECRET@2:41"],
    ],
    [
      "two registries with one host",
      "registries:\n  - {host: r.io, username: u, password: {env: HOME}}\n  - {host: r.io, username: v, password: {env: HOME}}\n",
      ["DUPLICATE@3:12"],
    ],
  ] as const)("reports %s", (_, text, expected) => {
    expect(problemsOf(text, { HOME: "/root" })).toEqual(expected);
  });

  it("reports every problem at once, in reading order", () => {
    const text = [
      "concurency: 4", // 1
      "log_retention: 30", // 2
      "repositories:", // 3
      "  - name: Go-Auth", // 4
      "    url: https://bob:pw@git.acme.test/x.git", // 5
      "    webhok_secret: {env: X}", // 6
      "    credentials: {username: git, password: {env: MISSING}}", // 7
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "UNKNOWN_KEY@1:1",
      "BAD_VALUE@2:16",
      "BAD_VALUE@4:11",
      "PLAINTEXT_SECRET@5:10",
      "UNKNOWN_KEY@6:5",
      "SECRET_UNRESOLVED@7:50",
    ]);
  });

  it("hints at the key that was meant", () => {
    const cwd = withConfig(repo("    webhok_secret: {env: X}\n").replace("repositories", "repositorys"));
    const err = configError(() => loadConfig({ env: {}, cwd }));
    expect(err.problems[0]?.message).toBe(
      'unknown key "repositorys" in the configuration root (did you mean "repositories"?)',
    );
    const inner = configError(() => loadConfig({ env: {}, cwd: withConfig(repo("    webhok_secret: {env: X}\n")) }));
    expect(inner.problems[0]?.message).toContain('(did you mean "webhook_secret"?)');
  });

  it("prints each problem as file:line:column with its code, and never echoes a plain secret", () => {
    const cwd = withConfig(repo("    webhook_secret: hunter2-do-not-print\n"));
    const err = configError(() => loadConfig({ env: {}, cwd }));
    expect(err.message).toContain(
      `${cwd}/slipway.config.yml:4:21: error SLIPWAY_E_CONFIG_PLAINTEXT_SECRET: secrets must come from {env: ...} or {file: ...}`,
    );
    expect(err.message).not.toContain("hunter2");
    const withUrl = configError(() => loadConfig({ env: {}, cwd: withConfig(repo("", "https://bob:pw-xyz@h/x.git")) }));
    expect(withUrl.message).not.toContain("pw-xyz");
  });

  it("refuses an empty secret file and strips only one trailing newline", () => {
    const empty = withConfig(repo("    webhook_secret: {file: empty}\n"), { empty: "\n" });
    expect(configError(() => loadConfig({ env: {}, cwd: empty })).problems[0]?.code).toBe(
      "SLIPWAY_E_CONFIG_SECRET_UNRESOLVED",
    );
    const cwd = withConfig(repo("    webhook_secret: {file: s}\n"), { s: "line1\nline2\n\n" });
    expect(loadConfig({ env: {}, cwd }).repositories[0]?.webhookSecret?.reveal()).toBe("line1\nline2\n");
  });

  it("refuses an empty secret variable", () => {
    const cwd = withConfig(repo("    webhook_secret: {env: HOOK}\n"));
    const err = configError(() => loadConfig({ env: { HOOK: "" }, cwd }));
    expect(err.problems[0]?.message).toContain("HOOK is empty");
  });
});

describe("problems in the environment", () => {
  it.each([
    ["SLIPWAY_CONCURRENCY", "abc"],
    ["SLIPWAY_CONCURRENCY", "0"],
    ["SLIPWAY_LISTEN", "8080"],
    ["SLIPWAY_LOG_RETENTION", "forever"],
    ["SLIPWAY_PUBLIC_READ", "maybe"],
    ["SLIPWAY_STORE_URL", "redis://cache"],
    ["SLIPWAY_RUNNER_ID", "two words"],
    ["SLIPWAY_API_TOKEN", "short"],
  ])("names %s=%s", (name, value) => {
    const err = configError(() => loadConfig({ env: { [name]: value }, cwd: tempDir() }));
    expect(err.code).toBe("SLIPWAY_E_CONFIG_INVALID");
    expect(err.problems).toHaveLength(1);
    const [problem] = err.problems;
    expect(problem?.code).toBe("SLIPWAY_E_CONFIG_BAD_ENV");
    expect(problem?.file).toBe(`$${name}`);
    expect(problem?.message.startsWith(`${name}: `)).toBe(true);
    expect(formatConfigProblem(problem!)).toMatch(new RegExp(`^\\$${name}: error SLIPWAY_E_CONFIG_BAD_ENV: `));
  });

  it("does not echo a too-short API token", () => {
    const err = configError(() => loadConfig({ env: { SLIPWAY_API_TOKEN: "s3cr3t" }, cwd: tempDir() }));
    expect(err.message).not.toContain("s3cr3t");
  });

  it("reports file and environment problems together", () => {
    const codes = problemsOf("concurrency: 0\n", { SLIPWAY_LISTEN: "nope" });
    expect(codes).toEqual(["BAD_VALUE@1:14", "BAD_ENV@-:-"]);
  });
});
