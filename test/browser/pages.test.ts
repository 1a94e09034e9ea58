import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalJson, AuditEventJson } from "../../api-schema/index.js";
import { openStore, type RunRow, type StageRow } from "../../store/index.js";
import { browserAvailable, launchBrowser, screenshotPath } from "../helpers/browser.js";
import { gatedRepository } from "../helpers/gated.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

const PROJECT = `slipway-ui-gate-${Math.random().toString(36).slice(2, 8)}`;
/** Runs seeded into the store of the `archive` repository: more than a thousand, as the overview must page. */
const SEEDED = 1050;

/** develop runs build, then wait for a manual approval before deploying `production` (a busybox sleep). */
const GATED = gatedRepository(PROJECT, ["approval: manual"]);

type Detail = { run: RunRow; stages: StageRow[]; approvals: ApprovalJson[] };

/** Buttons a read-only visitor may see: they read, search and page, and change nothing. */
const READ_ONLY_BUTTONS = [/^Find$/, /^↑$/, /^↓$/, /^Follow(ing| tail)$/, /^Download raw$/, /^Show \d+ older runs$/];

describe.skipIf(!browserAvailable())("approvals, overview paging and read-only visitors in chromium", () => {
  let origin: ReturnType<typeof createOrigin>;
  let dataDir: string;
  let daemon: TestDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  const waitingRun = async () => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/gated/runs", { ref: "develop" });
    return eventually(
      async () => {
        const d = (await daemon.api<Detail>("GET", `/api/runs/${body.run.id}`)).body;
        return d.run.status === "waiting" ? d : undefined;
      },
      120_000,
      "the run to wait for its approval",
    );
  };

  beforeAll(async () => {
    origin = createOrigin(GATED);
    // The daemon holds its data dir's lock while it runs: seed the store before it starts.
    dataDir = mkdtempSync(join(tmpdir(), "slipway-ui-pages-"));
    const store = await openStore(undefined, { dataDir });
    await store.migrate();
    await store.upsertRepository({ name: "archive", url: origin.bare });
    for (let i = 0; i < SEEDED; i++) {
      const { run } = await store.createRun({
        repository: "archive",
        ref: "refs/heads/develop",
        sha: "a".repeat(40),
        flowKind: "develop",
        trigger: "push",
        actor: "seed",
      });
      const t = Date.now() - (SEEDED - i) * 60_000;
      await store.updateRun(run.id, { status: "success", startedAt: t, finishedAt: t + 4000 });
      await store.upsertStage(run.id, {
        name: "build",
        type: "build",
        position: 0,
        status: "success",
        startedAt: t,
        finishedAt: t + 4000,
        durationMs: 4000,
      });
    }
    await store.close();
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: archive",
        `    url: ${origin.bare}`,
        "    poll: false",
        "  - name: gated",
        `    url: ${origin.bare}`,
        "    poll: false",
        "",
      ].join("\n"),
      { SLIPWAY_DATA_DIR: dataDir },
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${daemon.url}/signin`);
    await page.getByLabel("API token").fill(API_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Signed in as").waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`], {
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
    if (ids.length > 0) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
    execFileSync(
      "sh",
      ["-c", `docker network ls -q --filter label=com.docker.compose.project=${PROJECT} | xargs -r docker network rm`],
      {
        stdio: "ignore",
      },
    );
    origin?.cleanup();
  });

  it("the overview pages through 1,050 runs of a repository, 50 at a time", async () => {
    const started = Date.now();
    await page.goto(`${daemon.url}/`);
    const rows = page.locator('section[aria-labelledby="repo-archive"] tbody tr');
    await rows.first().waitFor();
    console.log(`overview with ${SEEDED} stored runs: first row after ${Date.now() - started} ms`);
    expect(await rows.count()).toBe(50);
    expect(await rows.first().locator("th").textContent()).toBe(`#${SEEDED}`);
    const more = page.getByRole("button", { name: "Show 50 older runs" }).first();
    await more.click();
    await expect.poll(() => rows.count()).toBe(100);
    expect(await rows.nth(99).locator("th").textContent()).toBe(`#${SEEDED - 99}`);
    // From the keyboard too: the button keeps the focus, Enter loads the next page.
    await more.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => rows.count()).toBe(150);
    const numbers = await rows.locator("th").allTextContents();
    expect(new Set(numbers).size).toBe(150); // no run twice across pages
    expect(numbers.at(-1)).toBe(`#${SEEDED - 149}`);
  });

  it("an approval granted from the approvals page deploys the run, recording who", async () => {
    const waiting = await waitingRun();
    expect(waiting.stages.find((s) => s.name === "deploy-prod")?.status).toBe("waiting");
    await page.goto(`${daemon.url}/approvals`);
    const card = page.locator(`li.waiting-run[data-run="${waiting.run.id}"]`);
    await card.getByText("waiting for approval to deploy to production").waitFor();
    await card.getByLabel("Comment (optional)").fill("ship it");
    await page.screenshot({ path: screenshotPath("approvals"), fullPage: true });
    await card.getByRole("button", { name: "Approve" }).click();

    const done = await daemon.waitForRun(waiting.run.id);
    expect(done.run.status).toBe("success");
    expect(done.stages.find((s) => s.name === "deploy-prod")?.status).toBe("success");
    const detail = (await daemon.api<Detail>("GET", `/api/runs/${waiting.run.id}`)).body;
    expect(detail.approvals[0]).toMatchObject({
      state: "approved",
      decidedBy: "$SLIPWAY_API_TOKEN",
      comment: "ship it",
    });
    const audit = await daemon.api<{ events: AuditEventJson[] }>("GET", "/api/audit?limit=50");
    expect(audit.body.events.find((e) => e.action === "approve")).toMatchObject({
      actor: "$SLIPWAY_API_TOKEN",
      target: waiting.run.id,
    });
    // Without a reload: the run leaves the pending list and the decision is listed with its author.
    await card.waitFor({ state: "detached", timeout: 60_000 });
    const decision = page.locator(`table.decisions tr[data-action="approve"][data-run="${waiting.run.id}"]`);
    await decision.getByText("$SLIPWAY_API_TOKEN").waitFor();
    await decision.getByText("ship it").waitFor();
  });

  it("a rejection from a waiting run's page fails the run, nothing deployed", async () => {
    const waiting = await waitingRun();
    await page.goto(`${daemon.url}/runs/${waiting.run.id}`);
    const gate = page.locator(`article.gate[data-run="${waiting.run.id}"]`);
    await gate.getByText("waiting for approval to deploy to production").waitFor();
    await gate.getByLabel("Comment (optional)").fill("not on a Friday");
    await page.screenshot({ path: screenshotPath("run-waiting"), fullPage: true });
    await gate.getByRole("button", { name: "Reject" }).click();
    await page.locator('h1 [data-status="failed"]').waitFor({ timeout: 60_000 });
    const done = await daemon.waitForRun(waiting.run.id);
    expect(done.run.status).toBe("failed");
    expect(done.stages.find((s) => s.name === "deploy-prod")?.detail).toMatch(
      /SLIPWAY_E_APPROVAL_REJECTED.*\$SLIPWAY_API_TOKEN.*not on a Friday/,
    );
  });

  it("a read-only visitor sees no mutating button on any page, and every forged POST is refused", async () => {
    const waiting = await waitingRun(); // a signed-in user would see approve, reject and cancel here
    const finished = (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=gated&status=success")).body
      .runs[0];
    expect(finished).toBeDefined();
    const pages: [string, string][] = [
      ["/", 'section[aria-labelledby="repo-archive"] tbody tr'],
      [`/runs/${waiting.run.id}`, "article.gate"],
      [`/runs/${finished?.id}`, ".log-tools"],
      ["/approvals", `li.waiting-run[data-run="${waiting.run.id}"] article.gate`],
      ["/environments", 'tr[data-environment="production"]'],
      ["/environments/gated/production", "table.history > tbody"],
      ["/audit", "table.audit tbody tr"],
      ["/trigger", "main p"],
      ["/tokens", "main p"],
    ];
    // Signed in, the same pages do offer what the visitor must not see.
    await page.goto(`${daemon.url}/approvals`);
    await page
      .locator(`li.waiting-run[data-run="${waiting.run.id}"]`)
      .getByRole("button", { name: "Approve" })
      .waitFor();

    const visitor = await browser.context.newPage(); // its own sessionStorage: not signed in
    try {
      for (const [path, ready] of pages) {
        await visitor.goto(`${daemon.url}${path}`);
        await visitor.locator(ready).first().waitFor();
        await visitor.getByRole("link", { name: "Sign in" }).waitFor();
        // Stage selectors on a run page switch the log shown; every other button must be read-only.
        const names = await visitor.locator("main button:not(.stage)").allTextContents();
        const offending = names.map((n) => n.trim()).filter((n) => !READ_ONLY_BUTTONS.some((re) => re.test(n)));
        expect(offending, `buttons on ${path}`).toEqual([]);
        expect(await visitor.locator("main textarea, main input:not([type=search])").count(), path).toBe(0);
      }
      await visitor.goto(`${daemon.url}/approvals`);
      await visitor.locator(`li.waiting-run[data-run="${waiting.run.id}"] article.gate`).waitFor();
      await visitor.screenshot({ path: screenshotPath("approvals-read-only"), fullPage: true });
      expect(await visitor.getByRole("link", { name: /Trigger|Tokens/ }).count()).toBe(0);

      // Every mutating route, forged from the page without a token: 401, and nothing happened.
      const forged: [string, string][] = [
        ["POST", `/api/runs/${waiting.run.id}/approve`],
        ["POST", `/api/runs/${waiting.run.id}/reject`],
        ["POST", `/api/runs/${waiting.run.id}/cancel`],
        ["POST", `/api/runs/${finished?.id}/retry`],
        ["POST", "/api/repos/gated/runs"],
        ["POST", "/api/repos/gated/environments/production/deploy"],
        ["POST", "/api/repos/gated/environments/production/confirm"],
        ["POST", "/api/repos/gated/environments/production/rollback"],
        ["POST", "/api/tokens"],
        ["DELETE", "/api/tokens/any"],
        ["POST", "/api/notifications/deliveries/any/redeliver"],
      ];
      for (const [method, path] of forged) {
        const res = await visitor.evaluate(
          async ([m, p]) => {
            const r = await fetch(p as string, {
              method: m,
              headers: { "content-type": "application/json" },
              body: "{}",
            });
            return { status: r.status, error: ((await r.json()) as { error?: string }).error };
          },
          [method, path],
        );
        expect(res, `${method} ${path}`).toEqual({ status: 401, error: "SLIPWAY_E_API_UNAUTHORIZED" });
      }
      const still = (await daemon.api<Detail>("GET", `/api/runs/${waiting.run.id}`)).body;
      expect(still.run.status).toBe("waiting");
      expect(still.approvals[0]?.state).toBe("pending");
    } finally {
      await visitor.close();
      await daemon.api("POST", `/api/runs/${waiting.run.id}/cancel`);
    }
  });
});
