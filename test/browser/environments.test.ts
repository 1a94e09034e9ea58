import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEventJson, DeploymentDetailJson } from "../../api-schema/index.js";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../compose/index.js";
import { DockerEngine } from "../../engine/index.js";
import type { RunRow } from "../../store/index.js";
import { browserAvailable, launchBrowser, screenshotPath } from "../helpers/browser.js";
import { git } from "../helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

const engine = new DockerEngine();
const tag = Math.random().toString(36).slice(2, 8);
const IMAGE = `slipway-ui-test-${tag}/web`;
const PROJECT = `slipway-ui-test-${tag}`;

/**
 * A busybox httpd answering `/version` with the committed www/version, packaged by the
 * pipeline and deployed to `staging` by its deploy stage: each develop run #N is version
 * develop-N. Three replicas rolled one at a time with a delay, so a rollout lasts long enough
 * to watch its batches advance on the page.
 */
const FILES = {
  "slipway.yml": [
    "name: web",
    `image: ${IMAGE}`,
    "environments:",
    "  staging:",
    "    compose: deploy/compose.yml",
    `    project: ${PROJECT}`,
    "    update: { drain: 0s }",
    "stages:",
    "  - name: package",
    "    package: { dockerfile: Dockerfile, context: . }",
    "  - { name: deploy, deploy: staging }",
    "",
  ].join("\n"),
  Dockerfile: 'FROM busybox:latest\nCOPY www /www\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  "www/version": "v1\n",
  "deploy/compose.yml": [
    "services:",
    "  web:",
    "    image: ${IMAGE}",
    "    init: true",
    '    ports: ["127.0.0.1::8080"]',
    "    healthcheck:",
    '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/version"]',
    "      interval: 500ms",
    "      timeout: 2s",
    "      retries: 2",
    "    deploy:",
    "      replicas: 3",
    "      update_config: { parallelism: 1, delay: 2s, order: start-first, monitor: 2s }",
    "      rollback_config: { parallelism: 0, order: start-first, monitor: 1s }",
    "",
  ].join("\n"),
};

/** What each running `web` container answers on /version, through its published port. */
async function served(): Promise<string[]> {
  const list = await engine.listResources([`${COMPOSE_LABEL.project}=${PROJECT}`, `${COMPOSE_LABEL.service}=web`]);
  const out: string[] = [];
  for (const c of list.filter((r) => r.kind === "container")) {
    const port = execFileSync("docker", ["port", c.id, "8080/tcp"], { encoding: "utf8" }).trim().split(":").pop();
    const res = await fetch(`http://127.0.0.1:${port}/version`);
    out.push((await res.text()).trim());
  }
  return out.sort();
}

describe.skipIf(!browserAvailable())("environments pages in chromium against a real slipway serve", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const envPath = "/environments/web/staging";
  const apiPath = "/api/repos/web/environments/staging";

  const runDevelop = async () => {
    const { status, body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/web/runs", { ref: "develop" });
    expect(status).toBe(201);
    return body.run;
  };

  beforeAll(async () => {
    origin = createOrigin(FILES);
    daemon = await startTestDaemon(`repositories:\n  - name: web\n    url: ${origin.bare}\n    poll: false\n`);
    browser = await launchBrowser();
    // The environments pages' fallback poll (30 s) is an hour here, for every page of the
    // context: whatever they show after their first read came from /api/events.
    await browser.context.addInitScript(() => {
      (globalThis as { slipwayFallbackPollMs?: number }).slipwayFallbackPollMs = 3_600_000;
    });
    page = await browser.context.newPage();
    await page.goto(`${daemon.url}/signin`);
    await page.getByLabel("API token").fill(API_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Signed in as").waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    if (origin) {
      const dir = join(origin.work, "deploy");
      const cli = await detectCompose();
      await runCompose(
        cli,
        { project: PROJECT, files: [join(dir, "compose.yml")], projectDirectory: dir },
        { kind: "down", stopTimeoutSeconds: 1 },
        { env: { IMAGE: "busybox:latest" } },
      ).catch(() => {});
      for (const t of ["develop-1", "develop-2", "develop-3", "develop"])
        await engine.removeImage(`${IMAGE}:${t}`).catch(() => {});
      origin.cleanup();
    }
  });

  it("shows a rollout's batches advancing live, then rolls back from the page", async () => {
    // The environments list, open before anything was deployed, gets the environment's row from
    // the first deployment's messages (no poll comes in time: it is an hour away).
    await page.goto(`${daemon.url}/environments`);
    await page.getByText("No environments in its pipeline.").waitFor();
    const first = await daemon.waitForRun((await runDevelop()).id);
    expect(first.run.status).toBe("success");
    expect(await served()).toEqual(["v1", "v1", "v1"]);
    const row = page.locator('tr[data-environment="staging"]');
    await row.getByText("develop-1").first().waitFor();
    await row.locator('[data-status="success"]').waitFor();
    await page.screenshot({ path: screenshotPath("environments"), fullPage: true });
    await row.getByRole("link", { name: "staging" }).click();
    await page.waitForURL(`**${envPath}`);
    await page.locator("[data-current-version]", { hasText: "develop-1" }).waitFor();

    // v2, deployed by run #2 while the page stays open: no reload from here on, and no poll
    // either (an hour away): the rollout's progress, its end and the rollback arrive as events.
    writeFileSync(join(origin.work, "www/version"), "v2\n");
    git(origin.work, "commit", "-qam", "v2");
    git(origin.work, "push", "-q", "origin", "develop");
    const second = await runDevelop();
    const rollout = page.locator("section.rollout");
    await rollout.waitFor({ timeout: 120_000 });
    // Batches are recorded as they end: the page moves from batch to batch by itself.
    await rollout.locator('[data-service="web"] [data-progress]', { hasText: "2 of 3 batches" }).waitFor({
      timeout: 60_000,
    });
    await page.screenshot({ path: screenshotPath("environment-rollout"), fullPage: true });
    expect((await daemon.waitForRun(second.id)).run.status).toBe("success");
    await rollout.waitFor({ state: "detached", timeout: 30_000 });
    await page.locator("[data-current-version]", { hasText: "develop-2" }).waitFor();
    await page.locator('tr[data-service="web"][data-version="develop-2"]').waitFor();
    expect(await served()).toEqual(["v2", "v2", "v2"]);

    // Roll back: the button names where it goes, and asks once more before it acts.
    await page.getByRole("button", { name: "Roll back to develop-1", exact: true }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.getByText("Roll back staging to develop-1?").waitFor();
    // The question has the focus; Escape keeps things as they are, and nothing was sent.
    await expect.poll(() => page.evaluate("document.activeElement?.textContent")).toBe("Roll back now");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(
      (await daemon.api<{ deployments: unknown[] }>("GET", `${apiPath}/deployments`)).body.deployments,
    ).toHaveLength(2);
    await page.getByRole("button", { name: "Roll back to develop-1", exact: true }).click();
    // The confirmation takes the focus, so Enter confirms from the keyboard.
    await expect.poll(() => page.evaluate("document.activeElement?.textContent")).toBe("Roll back now");
    await page.keyboard.press("Enter");
    await page.getByRole("status").getByText("Rollback to develop-1 started.").waitFor();

    const newest = page.locator("table.history > tbody").first();
    await eventually(
      async () => ((await newest.getAttribute("data-status")) === "success" ? true : undefined),
      120_000,
      "the rollback to finish on the page",
    );
    expect(await newest.getAttribute("data-version")).toBe("develop-1");
    await page.locator("[data-current-version]", { hasText: "develop-1" }).waitFor();
    await page.locator('tr[data-service="web"][data-version="develop-1"]').waitFor();
    expect(await served()).toEqual(["v1", "v1", "v1"]);

    // Recorded: a rollback deployment by the signed-in token, its batches, and the audit log.
    const { body } = await daemon.api<{ deployments: DeploymentDetailJson[] }>("GET", `${apiPath}/deployments`);
    const [rolled] = body.deployments;
    expect(rolled).toMatchObject({
      version: "develop-1",
      previousVersion: "develop-2",
      trigger: "rollback",
      actor: "$SLIPWAY_API_TOKEN",
      status: "success",
    });
    expect(rolled?.batches.some((b) => b.service === "web" && b.status === "success")).toBe(true);
    const audit = await daemon.api<{ events: AuditEventJson[] }>("GET", "/api/audit?limit=20");
    expect(audit.body.events.find((e) => e.action === "env-rollback")).toMatchObject({
      actor: "$SLIPWAY_API_TOKEN",
      target: "web/staging",
    });
    // The history shows the rollback row; its batches unfold.
    await newest.getByText("batch", { exact: false }).first().click();
    await newest.locator("table.batches tr[data-batch]").first().waitFor();
    // The unfolded batches scroll inside their row: the page does not grow sideways.
    expect(await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(
      0,
    );
    await page.screenshot({ path: screenshotPath("environment"), fullPage: true });
  });

  it("a paused rollout offers confirm and rollback: confirm resumes it, rollback returns to the previous version", async () => {
    // develop-3 answers nothing on /version: its first new container turns unhealthy and the
    // rollout pauses (Swarm's default failure_action), the old replicas still serving.
    writeFileSync(join(origin.work, "www/index.html"), "no version here\n");
    git(origin.work, "rm", "-q", "www/version");
    git(origin.work, "add", "-A");
    git(origin.work, "commit", "-qm", "v3 without /version");
    git(origin.work, "push", "-q", "origin", "develop");
    await page.goto(`${daemon.url}${envPath}`);
    const third = await daemon.waitForRun((await runDevelop()).id);
    expect(third.run.status).toBe("failed");
    await page.locator('h1 [data-status="paused"]').waitFor({ timeout: 30_000 });
    expect(await served()).toEqual(["v1", "v1", "v1"]);
    const paused = page.locator('table.history > tbody[data-version="develop-3"]');
    await paused.locator('tr[data-batch][data-status="failed"]').first().waitFor({ state: "attached" });
    await page.screenshot({ path: screenshotPath("environment-paused"), fullPage: true });

    // Confirm: the same deployment runs again toward develop-3, fails again, pauses again.
    const [before] = (await daemon.api<{ deployments: DeploymentDetailJson[] }>("GET", `${apiPath}/deployments`)).body
      .deployments;
    expect(before).toMatchObject({ version: "develop-3", status: "paused" });
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByRole("alertdialog").getByText("Continue the paused rollout of staging toward develop-3?").waitFor();
    await page.getByRole("button", { name: "Confirm now" }).click();
    await page.getByRole("status").getByText("Confirmed rollout to develop-3 started.").waitFor();
    const failedAgain = await eventually(
      async () => {
        const [d] = (await daemon.api<{ deployments: DeploymentDetailJson[] }>("GET", `${apiPath}/deployments`)).body
          .deployments;
        return d?.status === "paused" && d.batches.length > (before?.batches.length ?? 0) ? d : undefined;
      },
      120_000,
      "the confirmed rollout to pause again",
    );
    expect(failedAgain.id).toBe(before?.id);
    await page.locator('h1 [data-status="paused"]').waitFor({ timeout: 30_000 });

    // Rollback of a paused rollout: to its previous version, and the paused one is marked rolled back.
    await page.getByRole("button", { name: "Roll back to develop-1", exact: true }).click();
    await page.getByRole("button", { name: "Roll back now" }).click();
    await page.locator('table.history > tbody[data-version="develop-3"][data-status="rolled_back"]').waitFor({
      timeout: 120_000,
    });
    await page.locator('table.history > tbody[data-status="success"]').first().waitFor();
    await page.locator('h1 [data-status="success"]').waitFor({ timeout: 120_000 });
    await page.locator("[data-current-version]", { hasText: "develop-1" }).waitFor();
    await paused.getByText(/Rolled back: rollback requested by \$SLIPWAY_API_TOKEN/).waitFor();
    expect(await served()).toEqual(["v1", "v1", "v1"]);
  });

  it("reads on a narrow screen and in the dark theme", async () => {
    const narrow = await browser.context.newPage();
    try {
      await narrow.setViewportSize({ width: 390, height: 844 });
      await narrow.emulateMedia({ colorScheme: "dark" });
      await narrow.goto(`${daemon.url}${envPath}`);
      await narrow.locator("[data-current-version]", { hasText: "develop-1" }).waitFor();
      // Wide tables scroll inside their own box; the page itself never scrolls sideways.
      const overflow = await narrow.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow).toBeLessThanOrEqual(0);
      const bg = await narrow.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      expect(bg).toBe("rgb(18, 22, 27)"); // --bg of the dark theme
      await narrow.screenshot({ path: screenshotPath("environment-narrow-dark"), fullPage: false });
    } finally {
      await narrow.close();
    }
  });

  it("a read-only visitor sees no environment buttons, and a forged rollback is refused", async () => {
    const visitor = await browser.context.newPage(); // its own sessionStorage: not signed in
    try {
      await visitor.goto(`${daemon.url}${envPath}`);
      await visitor.locator("[data-current-version]", { hasText: "develop-1" }).waitFor();
      await visitor.locator("table.history > tbody").nth(2).waitFor();
      const before = (await daemon.api<{ deployments: unknown[] }>("GET", `${apiPath}/deployments`)).body.deployments
        .length;
      await visitor.getByRole("link", { name: "Sign in" }).waitFor();
      expect(await visitor.getByRole("button", { name: /Roll back|Confirm/ }).count()).toBe(0);
      const forged = await visitor.evaluate(async (path) => {
        const res = await fetch(`${path}/rollback`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        return { status: res.status, body: (await res.json()) as { error: string } };
      }, apiPath);
      expect(forged).toEqual({ status: 401, body: expect.objectContaining({ error: "SLIPWAY_E_API_UNAUTHORIZED" }) });
      const { body } = await daemon.api<{ deployments: unknown[] }>("GET", `${apiPath}/deployments`);
      expect(body.deployments).toHaveLength(before); // nothing was rolled back by the forged request
    } finally {
      await visitor.close();
    }
  });
});
