import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { DASHBOARD_DIST } from "../../runner/serve/dashboard.js";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Without Debian's chromium, or without a built dashboard,
 * they skip locally but FAIL under CI=true (the CI script installs chromium and `npm test`
 * builds the UI first).
 */
export function browserAvailable(): boolean {
  const missing = [
    existsSync(CHROMIUM) ? "" : `${CHROMIUM} (apt-get install -y chromium)`,
    existsSync(join(DASHBOARD_DIST, "index.html")) ? "" : "the built dashboard (npm run build:ui)",
  ].filter(Boolean);
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`browser tests need ${missing.join(" and ")}`);
  return false;
}

/**
 * Headless chromium with a fresh profile (`--user-data-dir`, which playwright takes as the
 * persistent context's directory) and every background network feature off. Each page has its
 * own sessionStorage, so a new page is a visitor who has not signed in.
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "slipway-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "docs", "screenshots");
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
