import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JsonPayload, verifySignature } from "../../../runner/notify/index.js";
import type { RunRow } from "../../../store/index.js";
import { type Receiver, startReceiver } from "../../helpers/receiver.js";
import { eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";
import { cli, DaemonEnvironment } from "./daemon-env.js";

/**
 * Deployment events through a real daemon: the deploy stage of two develop runs deploys
 * develop-1 then develop-2 (`deployment.succeeded`), and `slipway rollback` through the API
 * returns to develop-1 (`deployment.rolled_back`), each delivered signed to a real receiver.
 */
describe("slipway serve: deployment notifications", () => {
  const SECRET = "deploy-notify-secret-77aa";
  let env: DaemonEnvironment;
  let daemon: TestDaemon;
  let receiver: Receiver;

  beforeAll(async () => {
    env = await DaemonEnvironment.create();
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
    receiver = await startReceiver();
    const hooks = [
      "notifications:",
      "  - name: deploys",
      `    url: ${receiver.url}`,
      "    secret: {env: DEPLOY_HOOK_SECRET}",
      "    events: [deployment.succeeded, deployment.failed, deployment.rolled_back]",
      "",
    ].join("\n");
    daemon = await startTestDaemon(hooks + env.config(), { DEPLOY_HOOK_SECRET: SECRET });
  });
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await env?.[Symbol.asyncDispose]();
  });

  const run = async (ref: string) => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/shop/runs", { ref });
    return daemon.waitForRun(body.run.id);
  };
  const events = () => receiver.received.map((r) => JSON.parse(r.body) as JsonPayload);

  it("reports deploys by the deploy stage and a rollback through the API", async () => {
    const first = await run("develop");
    expect(first.run.status).toBe("success");
    expect((await run("develop")).run.status).toBe("success");
    await eventually(async () => (receiver.received.length >= 2 ? true : undefined), 30_000, "two deployments");
    const rollback = await cli(daemon.url, "rollback", "staging");
    expect(rollback.code).toBe(0);
    await eventually(async () => (receiver.received.length >= 3 ? true : undefined), 60_000, "the rollback");
    expect(events().map((e) => [e.event, e.deployment?.version, e.deployment?.trigger])).toEqual([
      ["deployment.succeeded", "develop-1", "stage"],
      ["deployment.succeeded", "develop-2", "stage"],
      ["deployment.rolled_back", "develop-1", "rollback"],
    ]);
    expect(events()[0]).toMatchObject({
      repository: "shop",
      deployment: { environment: "staging", status: "success", runId: first.run.id },
    });
    expect(events()[2]?.deployment).toMatchObject({ status: "success", previousVersion: "develop-2" });
    for (const r of receiver.received) {
      const check = verifySignature({
        secret: SECRET,
        body: r.body,
        signature: r.headers["x-slipway-signature"] as string,
        timestamp: r.headers["x-slipway-timestamp"] as string,
      });
      expect(check).toEqual({ ok: true });
    }
  });
});
