import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EnvironmentDef, parsePipeline } from "../../../pipelines/index.js";
import { checkGate } from "../../../runner/serve/approval-gate.js";
import { LiveBus } from "../../../runner/serve/live-logs.js";
import { WaitingRuns } from "../../../runner/serve/waiting-runs.js";
import { openStore, type RunRow, type Store } from "../../../store/index.js";

/** The gate's decisions on a fixed clock, against a real (SQLite) store. */

function environment(lines: string[]): EnvironmentDef {
  const text = [
    "name: shop",
    "stages:",
    "  - { name: deploy, deploy: production }",
    "environments:",
    "  production:",
    "    compose: compose.yml",
    ...lines.map((l) => `    ${l}`),
    "",
  ].join("\n");
  const parsed = parsePipeline(text, "slipway.yml");
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = parsed.pipeline.environments.production;
  if (!env) throw new Error("no environment");
  return env;
}

// Wednesday 2026-12-02: 07:00 in Berlin is before a 09:00-17:00 window; 10:00 inside it.
const EARLY = Date.parse("2026-12-02T06:00:00Z");
const INSIDE = Date.parse("2026-12-02T09:00:00Z");
const WINDOW = 'window: { timezone: Europe/Berlin, days: [mon-fri], hours: "09:00-17:00"';

describe("the gate before a deploy stage", () => {
  let dir: string;
  let store: Store;
  let run: RunRow;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-gate-"));
    store = await openStore(undefined, { dataDir: dir });
    await store.upsertRepository({ name: "shop", url: "/srv/shop.git" });
    ({ run } = await store.createRun({
      repository: "shop",
      ref: "refs/heads/develop",
      sha: "a".repeat(40),
      flowKind: "develop",
      trigger: "manual",
    }));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ask = (env: EnvironmentDef, now: number) =>
    checkGate(store.approvals, { runId: run.id, stage: "deploy", repository: "shop", environment: env, now });

  it.each([
    ["no approval, no window", [], EARLY, "proceed"],
    ["inside the window", [`${WINDOW} }`], INSIDE, "proceed"],
    ["before the window, outside: wait", [`${WINDOW} }`], EARLY, "wait"],
    ["before the window, outside: refuse", [`${WINDOW}, outside: refuse }`], EARLY, "refuse"],
    ["manual approval, not given", ["approval: manual"], INSIDE, "wait"],
  ])("%s: %s", async (_name, lines, now, kind) => {
    const verdict = await ask(environment(lines), now);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === "refuse") {
      expect(verdict.error.code).toBe("SLIPWAY_E_APPROVAL_OUTSIDE_WINDOW");
      expect(verdict.error.message).toMatch(/it opens at 2026-12-02T08:00:00.000Z/);
    }
  });

  it("an approval given outside the window waits for the window, then proceeds; an override goes at once", async () => {
    const env = environment(["approval: manual", "approval_timeout: 1h", `${WINDOW} }`]);
    const first = await ask(env, EARLY);
    expect(first).toMatchObject({ kind: "wait", reason: expect.stringMatching(/waiting for approval/) });
    expect((await store.approvals.getGate(run.id, "deploy"))?.expiresAt).toBe(EARLY + 3_600_000);
    await store.approvals.decide(run.id, "deploy", { state: "approved", actor: "ann", from: ["pending"] });
    const second = await ask(env, EARLY + 60_000);
    expect(second).toMatchObject({ kind: "wait", reason: expect.stringMatching(/outside the deploy window/) });
    expect(await store.approvals.getGate(run.id, "deploy")).toMatchObject({
      waitingFor: "window",
      windowOpensAt: Date.parse("2026-12-02T08:00:00Z"),
      state: "approved",
    });
    expect(await ask(env, INSIDE)).toEqual({ kind: "proceed", note: "approved by ann" });
    expect((await store.approvals.getGate(run.id, "deploy"))?.waitingFor).toBeNull();
    await store.approvals.overrideWindow(run.id, "deploy", "bob");
    expect(await ask(env, EARLY)).toEqual({ kind: "proceed", note: "approved by ann, window overridden by bob" });
  });

  it("the sweep rejects an approval past its deadline, and requeues an approved run", async () => {
    const env = environment(["approval: manual", "approval_timeout: 30m"]);
    let now = EARLY;
    let kicks = 0;
    const waiting = new WaitingRuns({
      store,
      bus: new LiveBus(),
      runnerId: "runner-1",
      kick: () => kicks++,
      log: () => {},
      now: () => now,
    });
    await ask(env, EARLY);
    await store.updateRun(run.id, { status: "waiting", resumeFromStage: "deploy" });
    await store.upsertStage(run.id, { name: "deploy", type: "deploy", position: 0, status: "waiting" });
    now = EARLY + 29 * 60_000;
    await waiting.sweep();
    expect((await store.getRun(run.id))?.status).toBe("waiting");
    now = EARLY + 30 * 60_000;
    await waiting.sweep();
    const failed = await store.getRun(run.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toBe(
      "stage deploy failed: SLIPWAY_E_APPROVAL_TIMEOUT: deploy to production rejected: nobody approved it after 30m (approval_timeout)",
    );
    expect((await store.listStages(run.id))[0]).toMatchObject({ status: "failed" });
    expect(kicks).toBe(0);

    const { run: other } = await store.createRun({
      repository: "shop",
      ref: "refs/heads/develop",
      sha: "b".repeat(40),
      flowKind: "develop",
      trigger: "manual",
    });
    await checkGate(store.approvals, { runId: other.id, stage: "deploy", repository: "shop", environment: env, now });
    await store.updateRun(other.id, { status: "waiting", resumeFromStage: "deploy" });
    await store.approvals.decide(other.id, "deploy", { state: "approved", actor: "ann", from: ["pending"] });
    now += 3_600_000; // approved in time: the deadline no longer applies
    await waiting.sweep();
    expect((await store.getRun(other.id))?.status).toBe("queued");
    expect(kicks).toBe(1);
  });
});
