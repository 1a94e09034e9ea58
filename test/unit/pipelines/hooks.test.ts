import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../../pipelines/index.js";

const pipeline = (env: string) =>
  `name: h\nimage: x\nenvironments:\n  staging:\n    compose: compose.yml\n${env}stages:\n  - { name: deploy, deploy: staging }\n`;

describe("environments.<name>.hooks", () => {
  it("reads pre_deploy and post_deploy: a string is a shell line, a list the argv; timeout defaults to 10m", () => {
    const parsed = parsePipeline(
      pipeline(
        "    hooks:\n      pre_deploy: { service: migrate, command: 'rake db:migrate && echo ok', timeout: 90s }\n      post_deploy: { service: smoke, command: [curl, -f, 'http://app/'] }\n",
      ),
      "slipway.yml",
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.pipeline.environments.staging?.hooks).toEqual({
      preDeploy: { service: "migrate", command: ["sh", "-c", "rake db:migrate && echo ok"], timeoutSeconds: 90 },
      postDeploy: { service: "smoke", command: ["curl", "-f", "http://app/"], timeoutSeconds: 600 },
    });
  });

  it.each([
    ["    hooks:\n      before: { service: a, command: x }\n", "SLIPWAY_E_PIPELINE_UNKNOWN_KEY", 7, 7],
    ["    hooks:\n      pre_deploy: { command: x }\n", "SLIPWAY_E_PIPELINE_REQUIRED", 7, 19],
    ["    hooks:\n      pre_deploy: { service: a, command: [] }\n", "SLIPWAY_E_PIPELINE_BAD_VALUE", 7, 42],
    ["    hooks:\n      pre_deploy: { service: 'a b', command: x }\n", "SLIPWAY_E_PIPELINE_BAD_VALUE", 7, 30],
    [
      "    hooks:\n      pre_deploy: { service: a, command: x, timeout: soon }\n",
      "SLIPWAY_E_PIPELINE_BAD_DURATION",
      7,
      54,
    ],
  ])("refuses %j with %s at its line:column", (env, code, line, column) => {
    const parsed = parsePipeline(pipeline(env), "slipway.yml");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => [p.code, p.line, p.column])).toContainEqual([code, line, column]);
  });

  it("is accepted under strategy blue-green (the hooks run around the colour switch)", () => {
    const parsed = parsePipeline(
      pipeline(
        "    strategy: blue-green\n    blue_green: { service: app, port: 8080, publish: '8080' }\n    hooks:\n      pre_deploy: { service: migrate, command: x }\n",
      ),
      "slipway.yml",
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.pipeline.environments.staging?.hooks?.preDeploy).toMatchObject({ service: "migrate" });
  });
});
