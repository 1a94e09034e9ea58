import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../config/index.js";
import { problemsOf, withConfig } from "./helpers.js";

/** `notifications:` at the root and per repository: what is accepted, and each refusal's code and position. */

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ env, cwd: withConfig(text), hostname: "t" });

const root = (hook: string) => `notifications:\n  - name: ops\n${hook}`;

describe("notifications in slipway.config.yml", () => {
  it("reads root and repository webhooks with their defaults, secrets as Secrets", () => {
    const config = load(
      [
        "notifications:",
        "  - name: ops",
        "    url: https://hooks.acme.test/slipway",
        "    secret: {env: OPS_SECRET}",
        "    events: [run.failed, run.fixed, run.failed]",
        "    timeout: 3s",
        "    max_attempts: 7",
        "    backoff: 500ms",
        "repositories:",
        "  - name: shop",
        "    url: /srv/git/shop",
        "    notifications:",
        "      - name: shop-chat",
        "        url: {env: SLACK_URL}",
        "        format: slack",
        "        events: [deployment.failed]",
        "",
      ].join("\n"),
      { OPS_SECRET: "ops-signing-secret", SLACK_URL: "https://hooks.slack.test/services/T0/B0/xyzzy" },
    );
    expect(config.notifications.map((w) => w.name)).toEqual(["ops", "shop-chat"]);
    const [ops, chat] = config.notifications;
    expect(ops).toMatchObject({
      format: "json",
      events: ["run.failed", "run.fixed"],
      timeoutSeconds: 3,
      maxAttempts: 7,
      backoffSeconds: 0.5,
    });
    expect(ops?.repository).toBeUndefined();
    expect(ops?.secret?.reveal()).toBe("ops-signing-secret");
    expect(chat).toMatchObject({
      repository: "shop",
      format: "slack",
      timeoutSeconds: 10,
      maxAttempts: 5,
      backoffSeconds: 10,
    });
    expect(config.repository("shop")?.notifications.map((w) => w.name)).toEqual(["shop-chat"]);
    // The signing secret and a URL from a secret are masked; a URL written in clear is not secret.
    expect(config.secrets()).toEqual(
      expect.arrayContaining(["ops-signing-secret", "https://hooks.slack.test/services/T0/B0/xyzzy"]),
    );
    expect(config.secrets()).not.toContain("https://hooks.acme.test/slipway");
    expect(JSON.stringify(config)).not.toContain("ops-signing-secret");
    expect(JSON.stringify(config)).not.toContain("xyzzy");
  });

  it.each([
    ["a non-http scheme", root("    url: ftp://files.acme.test/x\n    events: [run.failed]\n"), ["BAD_VALUE@3:10"]],
    ["a file: URL", root("    url: file:///etc/passwd\n    events: [run.failed]\n"), ["BAD_VALUE@3:10"]],
    ["a relative URL", root("    url: /hooks\n    events: [run.failed]\n"), ["BAD_VALUE@3:10"]],
    [
      "a password in the URL",
      root("    url: https://u:pw@hooks.acme.test/x\n    events: [run.failed]\n"),
      ["PLAINTEXT_SECRET@3:10"],
    ],
    ["no url", root("    events: [run.failed]\n"), ["REQUIRED@2:5"]],
    ["no events", root("    url: https://h.test/x\n"), ["REQUIRED@2:5"]],
    ["no events at all", root("    url: https://h.test/x\n    events: []\n"), ["BAD_VALUE@4:13"]],
    ["an unknown event", root("    url: https://h.test/x\n    events: [run.failled]\n"), ["BAD_VALUE@4:14"]],
    [
      "an unknown format",
      root("    url: https://h.test/x\n    format: teams\n    events: [run.failed]\n"),
      ["BAD_VALUE@4:13"],
    ],
    [
      "a secret in clear",
      root("    url: https://h.test/x\n    secret: hunter2\n    events: [run.failed]\n"),
      ["PLAINTEXT_SECRET@4:13"],
    ],
    [
      "an unset secret",
      root("    url: https://h.test/x\n    secret: {env: NOPE}\n    events: [run.failed]\n"),
      ["SECRET_UNRESOLVED@4:19"],
    ],
    [
      "a bare-number timeout",
      root("    url: https://h.test/x\n    timeout: 10\n    events: [run.failed]\n"),
      ["BAD_VALUE@4:14"],
    ],
    [
      "a timeout over 5m",
      root("    url: https://h.test/x\n    timeout: 10m\n    events: [run.failed]\n"),
      ["BAD_VALUE@4:14"],
    ],
    [
      "0 attempts",
      root("    url: https://h.test/x\n    max_attempts: 0\n    events: [run.failed]\n"),
      ["BAD_VALUE@4:19"],
    ],
    [
      "21 attempts",
      root("    url: https://h.test/x\n    max_attempts: 21\n    events: [run.failed]\n"),
      ["BAD_VALUE@4:19"],
    ],
    [
      "an unknown key",
      root("    url: https://h.test/x\n    retries: 3\n    events: [run.failed]\n"),
      ["UNKNOWN_KEY@4:5"],
    ],
    [
      "an upper-case name",
      "notifications:\n  - name: Ops\n    url: https://h.test/x\n    events: [run.failed]\n",
      ["BAD_VALUE@2:11"],
    ],
    [
      "one name at the root and in a repository",
      [
        "notifications:",
        "  - {name: ops, url: 'https://h.test/a', events: [run.failed]}",
        "repositories:",
        "  - name: shop",
        "    url: /srv/git/shop",
        "    notifications:",
        "      - {name: ops, url: 'https://h.test/b', events: [run.failed]}",
        "",
      ].join("\n"),
      ["DUPLICATE@7:16"],
    ],
  ])("refuses %s", (_what, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it("never repeats a URL that came from a secret in its message", () => {
    const text = root("    url: {env: HOOK_URL}\n    events: [run.failed]\n");
    let message = "";
    try {
      load(text, { HOOK_URL: "gopher://secret-token-abc@h.test/x" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/SLIPWAY_E_CONFIG_BAD_VALUE: .*unsupported scheme "gopher:\/\/"/);
    expect(message).not.toContain("secret-token-abc");
  });
});
