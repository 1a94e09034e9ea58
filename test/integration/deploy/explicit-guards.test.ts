import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../../compose/index.js";
import type { DeploymentRow, RunRow } from "../../../store/index.js";
import { runCli } from "../../helpers/cli.js";
import { git } from "../../helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";
import { engine } from "./helpers.js";

/** An hour range that is closed now (six hours from the current UTC hour), in `HH:MM-HH:MM`. */
function closedHours(): string {
  const h = (new Date().getUTCHours() + 6) % 24;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(h)}:00-${pad(h + 1)}:00`;
}

type ApiError = { error: string; message: string };

describe("explicit deploys (slipway deploy ENV VERSION) honour the environment's when: and deploy window", () => {
  const project = `slipway-guard-test-${process.pid}`;
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  const versions: Record<string, string> = {};

  beforeAll(async () => {
    origin = createOrigin({
      "slipway.yml": [
        "name: guarded",
        "builders:",
        "  box: { image: busybox:latest }",
        "environments:",
        "  prod:",
        "    compose: deploy/compose.yml",
        `    project: ${project}`,
        "    when: [develop, tag]",
        "    update: { monitor: 1s }",
        `    window: { timezone: UTC, days: [mon-sun], hours: ["${closedHours()}"], outside: refuse }`,
        "stages:",
        "  - { name: build, builder: box, commands: ['true'] }",
        "",
      ].join("\n"),
      "deploy/compose.yml": "services:\n  web: { image: busybox:latest, init: true, command: [sleep, '3600'] }\n",
    });
    git(origin.work, "checkout", "-qb", "feature/x");
    git(origin.work, "push", "-q", "origin", "feature/x");
    daemon = await startTestDaemon(`repositories:\n  - name: guarded\n    url: ${origin.bare}\n    poll: false\n`);
    for (const ref of ["develop", "feature/x"]) {
      const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/guarded/runs", { ref });
      const done = await daemon.waitForRun(body.run.id, 120_000);
      expect(done.run.status).toBe("success");
      versions[ref] = done.run.version ?? "";
    }
  });
  afterAll(async () => {
    await daemon?.stop();
    const cli = await detectCompose();
    await runCompose(
      cli,
      { project, files: [`${origin.work}/deploy/compose.yml`], projectDirectory: `${origin.work}/deploy` },
      { kind: "down", stopTimeoutSeconds: 1 },
    );
    origin?.cleanup();
  });

  const containers = async () =>
    (await engine.listResources([`${COMPOSE_LABEL.project}=${project}`])).filter((r) => r.kind === "container");

  it("outside the window: 409 SLIPWAY_E_DEPLOY_OUTSIDE_WINDOW, nothing deployed or recorded", async () => {
    const res = await daemon.api<ApiError>("POST", "/api/repos/guarded/environments/prod/deploy", {
      version: versions.develop,
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("SLIPWAY_E_DEPLOY_OUTSIDE_WINDOW");
    expect(res.body.message).toContain("--override-window");
    expect(await containers()).toEqual([]);
    const history = await daemon.api<{ deployments: DeploymentRow[] }>(
      "GET",
      "/api/repos/guarded/environments/prod/deployments",
    );
    expect(history.body.deployments).toEqual([]);
  });

  it("a version of a flow kind the environment does not take: 422 SLIPWAY_E_DEPLOY_FLOW_NOT_ALLOWED", async () => {
    const res = await daemon.api<ApiError>("POST", "/api/repos/guarded/environments/prod/deploy", {
      version: versions["feature/x"],
      overrideWindow: true,
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe("SLIPWAY_E_DEPLOY_FLOW_NOT_ALLOWED");
    expect(res.body.message).toMatch(/is a feature version; guarded\/prod takes develop, tag versions only/);
    expect(await containers()).toEqual([]);
  });

  it("`slipway deploy --override-window` deploys now and the override is audited with its actor", async () => {
    const cli = await runCli(["deploy", "prod", versions.develop ?? "", "--override-window"], {
      SLIPWAY_URL: daemon.url,
      SLIPWAY_TOKEN: API_TOKEN,
    });
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`${versions.develop} success`));
    expect(await containers()).toHaveLength(1);
    const audit = await eventually(async () => {
      const { body } = await daemon.api<{ events: { action: string; actor: string; target: string }[] }>(
        "GET",
        "/api/audit",
      );
      return body.events.find((e) => e.action === "override-window");
    }, 10_000);
    expect(audit).toMatchObject({ target: "guarded/prod", actor: "$SLIPWAY_API_TOKEN" });
    // confirm and rollback know no --override-window: an unknown flag is refused, never ignored.
    const confirm = await runCli(["confirm", "prod", "--override-window"], {
      SLIPWAY_URL: daemon.url,
      SLIPWAY_TOKEN: API_TOKEN,
    });
    expect(confirm.code).not.toBe(0);
  });
});
