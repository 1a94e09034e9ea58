import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../../pipelines/index.js";

const pipeline = (env: string) =>
  `name: h\nimage: x\nenvironments:\n  staging:\n    compose: compose.yml\n${env}stages:\n  - { name: deploy, deploy: staging }\n`;

describe("environments.<name>.confirm_upgrade and keep_versions", () => {
  it("reads both (rolling, start-first or the compose file's order)", () => {
    const parsed = parsePipeline(
      pipeline("    confirm_upgrade: true\n    keep_versions: 5\n    update: { order: start-first }\n"),
      "slipway.yml",
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.pipeline.environments.staging).toMatchObject({ confirmUpgrade: true, keepVersions: 5 });
  });

  it("leaves both out when absent or false (deploy/ applies the default of 3 versions)", () => {
    const parsed = parsePipeline(pipeline("    confirm_upgrade: false\n"), "slipway.yml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.pipeline.environments.staging?.confirmUpgrade).toBeUndefined();
    expect(parsed.pipeline.environments.staging?.keepVersions).toBeUndefined();
  });

  it.each([
    ["    confirm_upgrade: yes please\n", "SLIPWAY_E_PIPELINE_TYPE", 6, 22],
    ["    keep_versions: 0\n", "SLIPWAY_E_PIPELINE_BAD_VALUE", 6, 20],
    ["    keep_versions: two\n", "SLIPWAY_E_PIPELINE_TYPE", 6, 20],
    ["    strategy: recreate\n    confirm_upgrade: true\n", "SLIPWAY_E_PIPELINE_NOT_IMPLEMENTED", 7, 5],
    [
      "    strategy: blue-green\n    blue_green: { service: app, port: 8080, publish: '8080' }\n    confirm_upgrade: true\n",
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      8,
      5,
    ],
    ["    update: { order: stop-first }\n    confirm_upgrade: true\n", "SLIPWAY_E_PIPELINE_BAD_VALUE", 7, 5],
    ["    update: { start_first: false }\n    confirm_upgrade: true\n", "SLIPWAY_E_PIPELINE_BAD_VALUE", 7, 5],
  ])("refuses %j with %s at its line:column", (env, code, line, column) => {
    const parsed = parsePipeline(pipeline(env), "slipway.yml");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => [p.code, p.line, p.column])).toContainEqual([code, line, column]);
  });

  it("names the key in a refusal", () => {
    const parsed = parsePipeline(pipeline("    strategy: recreate\n    confirm_upgrade: true\n"), "slipway.yml");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems[0]?.path).toBe("environments.staging.confirm_upgrade");
    expect(parsed.problems[0]?.message).toMatch(/confirm_upgrade .*recreate/);
  });
});
