import { describe, expect, it } from "vitest";
import { formatBody, jsonPayload, type NotificationFacts, slackPayload } from "../../../runner/notify/index.js";
import type { DeploymentRow, RunRow, StageRow } from "../../../store/index.js";

const run: RunRow = {
  id: "01RUN",
  repository: "shop",
  number: 12,
  ref: "refs/heads/feature/<b>&co",
  sha: "0123456789abcdef0123456789abcdef01234567",
  flowKind: "feature",
  version: null,
  trigger: "push",
  actor: "ann",
  status: "failed",
  owner: "ci-1",
  dedupeKey: null,
  retryOf: null,
  retryFromStage: null,
  resumeFromStage: null,
  error: "stage build failed: exit 3",
  pipelineSnapshot: "name: shop\n",
  createdAt: 1000,
  startedAt: 2000,
  finishedAt: 9500,
};
const stages: StageRow[] = [
  {
    runId: "01RUN",
    name: "build",
    type: "builder",
    position: 0,
    status: "failed",
    startedAt: 2000,
    finishedAt: 9000,
    durationMs: 7000,
    detail: "exit 3",
  },
];
const facts: NotificationFacts = { eventId: "evt-1", event: "run.failed", runner: "ci-1", at: 9600, run, stages };

describe("notification payloads", () => {
  it("json: a versioned envelope with the run and its stages, never the pipeline snapshot", () => {
    const payload = jsonPayload(facts);
    expect(payload).toMatchObject({
      version: 1,
      id: "evt-1",
      event: "run.failed",
      occurredAt: "1970-01-01T00:00:09.600Z",
      runner: "ci-1",
      repository: "shop",
      run: { id: "01RUN", number: 12, status: "failed", durationMs: 7500, error: "stage build failed: exit 3" },
    });
    expect(payload.run?.stages).toEqual([
      { name: "build", type: "builder", status: "failed", durationMs: 7000, detail: "exit 3" },
    ]);
    expect(formatBody("json", facts)).not.toContain("pipelineSnapshot");
    expect(JSON.parse(formatBody("json", facts))).toEqual(payload);
  });

  it("slack: text and blocks, with the ref's markup escaped", () => {
    const slack = slackPayload(facts);
    expect(slack.text).toBe(
      ":x: *shop* run #12 failed on `feature/&lt;b&gt;&amp;co` (0123456): stage build failed: exit 3",
    );
    expect(slack.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: slack.text } });
    expect(JSON.stringify(slack.blocks[1])).toContain("failed stage `build`");
    expect(Object.keys(JSON.parse(formatBody("slack", facts)))).toEqual(["text", "blocks"]);
  });

  it("approval.waiting: the gate the run waits at", () => {
    const approval = {
      runId: "01RUN",
      stage: "deploy-prod",
      repository: "shop",
      environment: "production",
      state: "pending" as const,
      waitingFor: "approval" as const,
      reason: "waiting for approval to deploy to production",
      requestedAt: 5000,
      expiresAt: 90000,
      windowOpensAt: null,
      decidedBy: null,
      decidedAt: null,
      comment: null,
      windowOverrideBy: null,
      windowOverrideAt: null,
    };
    const waiting: NotificationFacts = {
      ...facts,
      event: "approval.waiting",
      run: { ...run, status: "waiting" as RunRow["status"], ref: "refs/heads/develop", error: null },
      approval,
    };
    expect(jsonPayload(waiting).approval).toEqual({
      stage: "deploy-prod",
      environment: "production",
      reason: "waiting for approval to deploy to production",
      requestedAt: 5000,
      expiresAt: 90000,
    });
    expect(slackPayload(waiting).text).toBe(
      ":hourglass_flowing_sand: *shop* run #12 waits for approval to deploy to `production` (stage `deploy-prod`) on `develop` (0123456)",
    );
  });

  it("deployments: succeeded, failed and rolled back say what runs now", () => {
    const d: DeploymentRow = {
      id: "01DEP",
      repository: "shop",
      environment: "staging",
      version: "v2",
      previousVersion: "v1",
      strategy: "rolling",
      trigger: "stage",
      actor: null,
      runId: "01RUN",
      rollbackOf: null,
      status: "rolled_back",
      outcome: "rolled back to v1",
      rollbackReason: "app unhealthy",
      spec: { secretish: "not sent" },
      createdAt: 1,
      updatedAt: 2,
      finishedAt: 3,
    };
    const rolled: NotificationFacts = {
      eventId: "e",
      event: "deployment.rolled_back",
      runner: "r",
      at: 0,
      deployment: d,
    };
    expect(slackPayload(rolled).text).toBe(":rewind: *shop/staging* rolled back to `v1`: app unhealthy");
    expect(jsonPayload(rolled).deployment).toMatchObject({ id: "01DEP", status: "rolled_back", previousVersion: "v1" });
    expect(formatBody("json", rolled)).not.toContain("not sent");
    const ok = { ...rolled, event: "deployment.succeeded" as const, deployment: { ...d, status: "success" as const } };
    expect(slackPayload(ok).text).toBe(":rocket: *shop/staging* deployed `v2`");
    const paused = {
      ...rolled,
      event: "deployment.paused" as const,
      deployment: { ...d, status: "paused" as const, outcome: "app: 1 of 3 new replicas failed" },
    };
    expect(slackPayload(paused).text).toBe(
      ":double_vertical_bar: *shop/staging* paused deploying `v2`: app: 1 of 3 new replicas failed",
    );
    const awaiting = {
      ...rolled,
      event: "deployment.awaiting_confirm" as const,
      deployment: { ...d, status: "awaiting_confirm" as const },
    };
    expect(slackPayload(awaiting).text).toBe(":raised_hand: *shop/staging* awaits confirmation of `v2`");
  });
});
