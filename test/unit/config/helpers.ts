import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { ConfigError, loadConfig } from "../../../config/index.js";

/** Temporary directories with a config file in them, removed after each test. */

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-config-"));
  dirs.push(dir);
  return dir;
}

/** Writes `text` as slipway.config.yml in a fresh directory; returns that directory. */
export function withConfig(text: string, files: Record<string, string> = {}): string {
  const dir = tempDir();
  writeFileSync(join(dir, "slipway.config.yml"), text);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** The ConfigError `fn` throws (failing the test when it does not). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

/** `code@line:column` of each problem loading `text` with `env`, for compact assertions. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const cwd = withConfig(text);
  const err = configError(() => loadConfig({ env, cwd, hostname: "test" }));
  expect(err.code).toBe("SLIPWAY_E_CONFIG_INVALID");
  return err.problems.map((p) => `${p.code.replace("SLIPWAY_E_CONFIG_", "")}@${p.line ?? "-"}:${p.column ?? "-"}`);
}
