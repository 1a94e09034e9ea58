import { describe, expect, it } from "vitest";
import { fixedPorts, readServiceSpecs, resolveServiceSettings, SWARM_DEFAULTS } from "../../../deploy/index.js";
import { parsePipeline } from "../../../pipelines/index.js";

const none = { update: {}, rollback: {} };

describe("update settings", () => {
  it("defaults to Swarm's effective values", () => {
    const s = resolveServiceSettings("app", undefined, none);
    expect(s.replicas).toBe(1);
    expect(s.update).toEqual({
      parallelism: 1,
      delaySeconds: 0,
      failureAction: "pause",
      monitorSeconds: 5,
      maxFailureRatio: 0,
      order: "stop-first",
      drainSeconds: 2,
    });
    expect(s.rollback).toEqual(s.update);
  });

  it("reads deploy.replicas, update_config and rollback_config; the environment overrides them", () => {
    const deploy = {
      replicas: 3,
      update_config: { parallelism: 2, delay: "1m30s", order: "start-first", monitor: "500ms", max_failure_ratio: 0.5 },
      rollback_config: { parallelism: 0, failure_action: "continue" },
    };
    const s = resolveServiceSettings("app", deploy, {
      update: { parallelism: 1, failureAction: "rollback" },
      rollback: {},
    });
    expect(s.replicas).toBe(3);
    expect(s.update).toMatchObject({
      parallelism: 1,
      delaySeconds: 90,
      order: "start-first",
      monitorSeconds: 0.5,
      maxFailureRatio: 0.5,
      failureAction: "rollback",
    });
    expect(s.rollback).toMatchObject({ parallelism: 0, failureAction: "continue", order: "stop-first" });
  });

  it.each([
    [{ placement: { constraints: [] } }, "SLIPWAY_E_DEPLOY_COMPOSE_KEY"],
    [{ resources: { limits: { cpus: "1" } } }, "SLIPWAY_E_DEPLOY_COMPOSE_KEY"],
    [{ mode: "global" }, "SLIPWAY_E_DEPLOY_NOT_IMPLEMENTED"],
    [{ update_config: { paralelism: 2 } }, "SLIPWAY_E_DEPLOY_COMPOSE_KEY"],
    [{ update_config: { order: "sideways" } }, "SLIPWAY_E_DEPLOY_BAD_VALUE"],
    [{ update_config: { max_failure_ratio: 2 } }, "SLIPWAY_E_DEPLOY_BAD_VALUE"],
    [{ update_config: { delay: "soon" } }, "SLIPWAY_E_DEPLOY_BAD_VALUE"],
    [{ rollback_config: { failure_action: "rollback" } }, "SLIPWAY_E_DEPLOY_BAD_VALUE"],
    [{ replicas: -1 }, "SLIPWAY_E_DEPLOY_BAD_VALUE"],
  ])("refuses %j with %s (never accepted and ignored)", (deploy, code) => {
    expect(() => resolveServiceSettings("app", deploy, none)).toThrow(expect.objectContaining({ code }));
  });

  it("accepts Rancher's aliases batch_size, interval, start_first in slipway.yml", () => {
    const result = parsePipeline(
      "name: x\nenvironments:\n  prod:\n    compose: c.yml\n    update: { batch_size: 2, interval: 3s, start_first: true }\n    rollback: { failure_action: continue }\nstages:\n  - { name: d, deploy: prod }\n",
      "slipway.yml",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const env = result.pipeline.environments.prod;
    expect(env?.update).toEqual({ parallelism: 2, delaySeconds: 3, order: "start-first" });
    const s = resolveServiceSettings("app", { update_config: { parallelism: 5 } }, env ?? none);
    expect(s.update.parallelism).toBe(2);
    expect(s.rollback.failureAction).toBe("continue");
  });
});

describe("service specs from compose config", () => {
  const config = `services:
  app:
    image: acme/app:v2
    depends_on: { db: { condition: service_started } }
    ports: ["127.0.0.1::8080/tcp"]
    healthcheck: { test: [CMD, "true"], interval: 1s, start_period: 3s }
    deploy: { replicas: 3, update_config: { order: start-first } }
  db:
    image: busybox
    ports: [{ published: 5432, target: 5432 }]
`;
  it("reads hash, replicas, depends_on and the healthcheck with Docker's defaults", () => {
    const specs = readServiceSpecs(config, { app: "a1", db: "d1" }, { ...none, strategy: "rolling" });
    expect(specs.map((s) => [s.name, s.hash, s.replicas, s.dependsOn])).toEqual([
      ["app", "a1", 3, ["db"]],
      ["db", "d1", 1, []],
    ]);
    expect(specs[0]?.health).toEqual({ intervalSeconds: 1, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 3 });
    expect(specs[1]?.fixedHostPorts).toEqual(["5432"]);
  });

  it("refuses start-first or several replicas on a service with a fixed host port", () => {
    const fixed = config.replace("127.0.0.1::8080/tcp", "8080:8080");
    expect(() => readServiceSpecs(fixed, {}, { ...none, strategy: "rolling" })).toThrow(
      expect.objectContaining({ code: "SLIPWAY_E_DEPLOY_FIXED_PORT" }),
    );
  });

  it.each([
    [["8080:80"], ["8080"]],
    [["127.0.0.1:8080:80/tcp"], ["8080"]],
    [["127.0.0.1::80"], []],
    [["80"], []],
    [[{ target: 80 }], []],
  ])("fixed host ports of %j are %j", (ports, want) => {
    expect(fixedPorts(ports)).toEqual(want);
  });

  it("keeps Swarm's default order stop-first", () => {
    expect(SWARM_DEFAULTS.order).toBe("stop-first");
  });
});
