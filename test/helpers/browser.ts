import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { DASHBOARD_DIST } from "../../runner/serve/dashboard.js";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser tests can run. A missing chromium is installed from Debian when the tests
 * run as root (as PostgreSQL is provisioned for the store suite); without it, or without a built
 * dashboard, they skip locally with a warning but FAIL under CI=true (`npm test` builds the UI
 * first).
 */
export function browserAvailable(): boolean {
  provisionChromium();
  const missing = [
    existsSync(CHROMIUM) ? "" : `${CHROMIUM} (apt-get install -y chromium)`,
    existsSync(join(DASHBOARD_DIST, "index.html")) ? "" : "the built dashboard (npm run build:ui)",
  ].filter(Boolean);
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`browser tests need ${missing.join(" and ")}`);
  console.warn(`browser tests skipped: they need ${missing.join(" and ")}`);
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

/** Installs Debian's chromium when it is missing and the tests may (root, apt-get present). */
function provisionChromium(): void {
  if (existsSync(CHROMIUM) || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { env, stdio: "ignore", timeout: 600_000 });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { env, stdio: "ignore", timeout: 900_000 });
  } catch (err) {
    console.warn(`could not install chromium: ${(err as Error).message}`);
  }
}
