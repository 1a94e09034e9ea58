import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "../../store/index.js";
import { browserAvailable, launchBrowser, screenshotPath } from "../helpers/browser.js";
import { git } from "../helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, HOOK_SECRET, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

const pipeline = (command: string) =>
  [
    "name: dash",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: build",
    "    builder: box",
    `    commands: [${JSON.stringify(command)}]`,
    "  - name: test",
    "    builder: box",
    "    commands: ['echo tests ok']",
    "",
  ].join("\n");

// Coloured lines (ANSI SGR), a needle to search for, and enough pauses to watch it stream.
const LIVE =
  "for i in $(seq 1 12); do printf '\\033[32mok\\033[0m step %s\\n' $i; sleep 0.4; done; echo needle-$((6*7)); for i in $(seq 13 20); do echo step $i; done";

describe.skipIf(!browserAvailable())("dashboard in chromium against a real slipway serve", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let developSha: string;
  let firstRun: RunRow;

  const signIn = async (p: Page) => {
    await p.goto(`${daemon.url}/signin`);
    await p.getByLabel("API token").fill(API_TOKEN);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByText("Signed in as").waitFor();
  };

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": pipeline(LIVE) });
    git(origin.work, "checkout", "-qb", "feature/slow");
    writeFileSync(join(origin.work, "slipway.yml"), pipeline("echo sleeping; sleep 120"));
    git(origin.work, "commit", "-qam", "slow");
    git(origin.work, "push", "-q", "origin", "feature/slow");
    developSha = git(origin.work, "rev-parse", "develop");
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: dash",
        `    url: ${origin.bare}`,
        "    webhook_secret: { env: HOOK_SECRET }",
        "",
      ].join("\n"),
    );
    browser = await launchBrowser();
    context = browser.context;
    page = await context.newPage();
    await signIn(page);
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    origin?.cleanup();
  });

  it("a run appears live on the overview after a webhook, and its log streams in", async () => {
    await page.goto(`${daemon.url}/`);
    await page.getByRole("heading", { name: "dash" }).waitFor();
    const hook = await fetch(`${daemon.url}/api/hooks/dash`, {
      method: "POST",
      headers: { authorization: `Bearer ${HOOK_SECRET}`, "content-type": "application/json", "x-request-id": "dash-1" },
      body: JSON.stringify({ ref: "refs/heads/develop", sha: developSha }),
    });
    expect(hook.status).toBe(201);
    firstRun = ((await hook.json()) as { run: RunRow }).run;
    // No reload: the row arrives over /api/events.
    const row = page.locator(`tr[data-run="${firstRun.id}"]`);
    await row.waitFor({ timeout: 60_000 });
    await row.locator('td.stage-cell[data-stage="build"] [data-status="running"]').waitFor({ timeout: 120_000 });
    await page.screenshot({ path: screenshotPath("overview"), fullPage: true });
    await row.getByRole("link", { name: `#${firstRun.number}` }).click();
    await page.waitForURL(`**/runs/${firstRun.id}`);
    // Lines arrive while the stage still runs: the log is live, not a replay.
    await page.locator(".log-line", { hasText: "ok step 2" }).waitFor({ timeout: 60_000 });
    const status = await daemon.api<{ stages: { name: string; status: string }[] }>("GET", `/api/runs/${firstRun.id}`);
    expect(status.body.stages.find((s) => s.name === "build")?.status).toBe("running");
    // ANSI colour: "ok" is rendered green (SGR 32), without the escape codes.
    const ok = page.locator(".log-line", { hasText: "ok step 2" }).locator("span.fg32");
    expect(await ok.textContent()).toBe("ok");
    await page
      .locator('.log-state[data-state="done"], .log-line:has-text("step 20")')
      .first()
      .waitFor({ timeout: 120_000 });
    // When build ends, the page moves on to the next running stage by itself (on a quiet
    // machine before the line above is even checked): go back to build to read its tail.
    await page.locator('button.stage[data-stage="build"]').click();
    await page.locator(".log-line", { hasText: "step 20" }).waitFor();
    await page.screenshot({ path: screenshotPath("run"), fullPage: true });
  });

  it("the log search finds a line, and a line link addresses it", async () => {
    await daemon.waitForRun(firstRun.id);
    await page.goto(`${daemon.url}/runs/${firstRun.id}`);
    await page.locator('button.stage[data-stage="build"]').click();
    await page.locator(".log-line", { hasText: "step 20" }).waitFor();
    await page.getByRole("searchbox", { name: "Search the log" }).fill("NEEDLE-42");
    await page.getByRole("button", { name: "Find" }).click();
    const current = page.locator(".log-line.current");
    await current.waitFor();
    expect(await current.locator(".lt").textContent()).toBe("needle-42");
    expect(await page.locator(".match-count").textContent()).toBe("1 of 1");
    const n = Number(await current.locator(".ln").textContent());
    expect(n).toBeGreaterThan(12); // after the command line and the twelve steps
    // The gutter links to the line; opening that address highlights it.
    await page.goto(`${daemon.url}/runs/${firstRun.id}#build:L${n}`);
    const selected = page.locator(".log-line.selected");
    await selected.waitFor();
    expect(await selected.locator(".lt").textContent()).toBe("needle-42");
    await page.screenshot({ path: screenshotPath("log-search"), fullPage: false });
  });

  it("cancel and retry work from the buttons", async () => {
    const slow = await daemon.api<{ run: RunRow }>("POST", "/api/repos/dash/runs", { ref: "feature/slow" });
    expect(slow.status).toBe(201);
    const id = slow.body.run.id;
    await page.goto(`${daemon.url}/runs/${id}`);
    await page.locator(".log-line .lt", { hasText: /^sleeping$/ }).waitFor({ timeout: 120_000 });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator(`h1 [data-status="cancelled"]`).waitFor({ timeout: 60_000 });
    expect((await daemon.api<{ run: RunRow }>("GET", `/api/runs/${id}`)).body.run.status).toBe("cancelled");
    // Retry navigates to the new run, which is a retry of this one.
    await page.getByRole("button", { name: "Retry", exact: true }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(id));
    const retryId = new URL(page.url()).pathname.split("/").pop() as string;
    const retry = await daemon.api<{ run: RunRow }>("GET", `/api/runs/${retryId}`);
    expect(retry.body.run).toMatchObject({ retryOf: id, trigger: "retry", actor: "$SLIPWAY_API_TOKEN" });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator(`h1 [data-status="cancelled"]`).waitFor({ timeout: 60_000 });
    // Retry from a stage of the first (successful) run.
    await page.goto(`${daemon.url}/runs/${firstRun.id}`);
    await page.getByLabel("Retry from").selectOption("test");
    await page.getByRole("button", { name: "Retry from stage" }).click();
    await page.waitForURL((url) => !url.pathname.endsWith(firstRun.id));
    const fromId = new URL(page.url()).pathname.split("/").pop() as string;
    const done = await daemon.waitForRun(fromId);
    expect(done.run.retryFromStage).toBe("test");
    expect(done.stages.map((s) => [s.name, s.status])).toEqual([
      ["build", "skipped"],
      ["test", "success"],
    ]);
    const audit = await daemon.api<{ events: { action: string; target: string }[] }>("GET", "/api/audit");
    expect(audit.body.events.filter((e) => e.action === "cancel").map((e) => e.target)).toEqual(
      expect.arrayContaining([id, retryId]),
    );
    await page.goto(`${daemon.url}/audit`);
    await page.locator('tr[data-action="cancel"]').first().waitFor();
    await page.screenshot({ path: screenshotPath("audit"), fullPage: true });
  });

  it("a token-less visitor sees no mutating buttons, and a forged POST is refused", async () => {
    const visitor = await context.newPage(); // its own sessionStorage: not signed in
    try {
      await visitor.goto(`${daemon.url}/runs/${firstRun.id}`);
      await visitor.getByRole("heading", { name: new RegExp(`dash #${firstRun.number}`) }).waitFor();
      await visitor.getByRole("link", { name: "Sign in" }).waitFor();
      expect(await visitor.getByRole("button", { name: /Cancel|Retry/ }).count()).toBe(0);
      expect(await visitor.getByRole("link", { name: "Trigger" }).count()).toBe(0);
      const forged = await visitor.evaluate(async (id) => {
        const res = await fetch(`/api/runs/${id}/retry`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        return { status: res.status, body: await res.json() };
      }, firstRun.id);
      expect(forged.status).toBe(401);
      expect((forged.body as { error: string }).error).toBe("SLIPWAY_E_API_UNAUTHORIZED");
      await visitor.screenshot({ path: screenshotPath("run-read-only"), fullPage: false });
    } finally {
      await visitor.close();
    }
  });

  it("trigger form and tokens page (token shown once, then revoked)", async () => {
    await page.goto(`${daemon.url}/trigger`);
    const refSelect = page.getByLabel("Branch or tag");
    await refSelect.locator('option[value="refs/heads/feature/slow"]').waitFor({ state: "attached" });
    await page.screenshot({ path: screenshotPath("trigger"), fullPage: true });
    await page.goto(`${daemon.url}/tokens`);
    await page.getByLabel("Name").fill("dashboard-test");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = await page.getByLabel("new token").inputValue();
    expect(token).toMatch(/^slw_/);
    const who = await daemon.api<{ actor: string }>("GET", "/api/whoami", undefined, token);
    expect(who.body.actor).toBe("dashboard-test");
    await page.screenshot({ path: screenshotPath("tokens"), fullPage: true });
    await page
      .getByRole("row", { name: /dashboard-test/ })
      .getByRole("button", { name: "Revoke" })
      .click();
    await page
      .getByRole("row", { name: /dashboard-test/ })
      .getByRole("button", { name: "Revoke" })
      .waitFor({ state: "detached" });
    expect((await daemon.api<{ actor: string | null }>("GET", "/api/whoami", undefined, token)).body.actor).toBeNull();
  });
});
