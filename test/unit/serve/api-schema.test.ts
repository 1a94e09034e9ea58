import { describe, expect, expectTypeOf, it } from "vitest";
import {
  DEPLOYMENT_STATUS_VALUES,
  DEPLOYMENT_TRIGGER_VALUES,
  Deployment,
  DeploymentBatch,
  FLOW_KIND_VALUES,
  type FromSchema,
  RUN_STATUS_VALUES,
  Run,
  type RunJson,
  STAGE_STATUS_VALUES,
  Stage,
  TRIGGER_VALUES,
} from "../../../api-schema/index.js";
import { FLOW_KINDS } from "../../../pipelines/index.js";
import {
  type BatchRow,
  DEPLOYMENT_STATUSES,
  DEPLOYMENT_TRIGGERS,
  type DeploymentRow,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunRow,
  STAGE_STATUSES,
  type StageRow,
} from "../../../store/index.js";

describe("api-schema: the API's schemas agree with the store and the pipelines", () => {
  it("enums list exactly the store's and the pipelines' values", () => {
    expect([...RUN_STATUS_VALUES]).toEqual([...RUN_STATUSES]);
    expect([...STAGE_STATUS_VALUES]).toEqual([...STAGE_STATUSES]);
    expect([...TRIGGER_VALUES]).toEqual([...RUN_TRIGGERS]);
    expect([...FLOW_KIND_VALUES].sort()).toEqual([...FLOW_KINDS].sort());
  });

  it("Run and Stage schemas name every field of the store's rows, all required", () => {
    const row: Record<keyof RunRow, true> = {
      id: true,
      repository: true,
      number: true,
      ref: true,
      sha: true,
      flowKind: true,
      version: true,
      trigger: true,
      actor: true,
      status: true,
      owner: true,
      dedupeKey: true,
      retryOf: true,
      retryFromStage: true,
      resumeFromStage: true,
      error: true,
      pipelineSnapshot: true,
      createdAt: true,
      startedAt: true,
      finishedAt: true,
    };
    expect(Object.keys(Run.properties).sort()).toEqual(Object.keys(row).sort());
    expect([...Run.required].sort()).toEqual(Object.keys(row).sort());
    const stage: Record<keyof StageRow, true> = {
      runId: true,
      name: true,
      type: true,
      position: true,
      status: true,
      startedAt: true,
      finishedAt: true,
      durationMs: true,
      detail: true,
    };
    expect(Object.keys(Stage.properties).sort()).toEqual(Object.keys(stage).sort());
  });

  it("FromSchema derives the store's row types (checked by the compiler)", () => {
    expectTypeOf<RunJson>().toEqualTypeOf<RunRow>();
    expectTypeOf<FromSchema<typeof Stage>>().toEqualTypeOf<StageRow>();
    const s = {
      type: "object",
      properties: { a: { type: ["string", "null"] }, b: { type: "integer" } },
      required: ["a"],
    } as const;
    expectTypeOf<FromSchema<typeof s>>().toEqualTypeOf<{ a: string | null; b?: number }>();
  });
});

describe("api-schema: deployments agree with the store's rows", () => {
  it("statuses, triggers and every field but the internal spec", () => {
    expect([...DEPLOYMENT_STATUS_VALUES]).toEqual([...DEPLOYMENT_STATUSES]);
    expect([...DEPLOYMENT_TRIGGER_VALUES]).toEqual([...DEPLOYMENT_TRIGGERS]);
    const row: Record<Exclude<keyof DeploymentRow, "spec">, true> = {
      id: true,
      repository: true,
      environment: true,
      version: true,
      previousVersion: true,
      strategy: true,
      trigger: true,
      actor: true,
      runId: true,
      rollbackOf: true,
      status: true,
      outcome: true,
      rollbackReason: true,
      createdAt: true,
      updatedAt: true,
      finishedAt: true,
    };
    expect(Object.keys(Deployment.properties).sort()).toEqual(Object.keys(row).sort());
    expect([...Deployment.required].sort()).toEqual(Object.keys(row).sort());
    const batch: Record<keyof BatchRow, true> = {
      deploymentId: true,
      seq: true,
      phase: true,
      service: true,
      batch: true,
      batches: true,
      added: true,
      removed: true,
      status: true,
      health: true,
      startedAt: true,
      finishedAt: true,
    };
    expect(Object.keys(DeploymentBatch.properties).sort()).toEqual(Object.keys(batch).sort());
  });
});
