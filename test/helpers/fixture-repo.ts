import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXAMPLE = join(ROOT, "examples", "hello-node");

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...GIT_IDENTITY },
  }).trim();
}

/**
 * git, without blocking the event loop: needed when the command waits on this very process
 * (a `git push` whose post-receive hook calls a daemon running in the test process).
 */
export async function gitAsync(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("git", args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY } });
  return stdout.trim();
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.test",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.test",
};

export interface FixtureRepo {
  dir: string;
  cleanup(): void;
}

/**
 * A real git repository of the hello-node example with git-flow refs: `main`, `develop`,
 * `feature/greeting`, `feature/broken` (a failing unit test), `release/1.0` and tag `v1.0`.
 * `extra` files are committed on top of the example (e.g. a different slipway.yml).
 */
export function createFixtureRepo(extra: Record<string, string> = {}): FixtureRepo {
  const dir = mkdtempSync(join(tmpdir(), "slipway-fixture-"));
  cpSync(EXAMPLE, dir, { recursive: true });
  for (const [file, content] of Object.entries(extra)) writeFileSync(join(dir, file), content);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "hello-node");
  git(dir, "tag", "v1.0");
  git(dir, "checkout", "-qb", "develop");
  git(dir, "checkout", "-qb", "release/1.0");
  git(dir, "checkout", "-q", "develop");
  git(dir, "checkout", "-qb", "feature/greeting");
  writeFileSync(join(dir, "NOTES.md"), "feature work\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "feature work");
  git(dir, "checkout", "-q", "develop");
  git(dir, "checkout", "-qb", "feature/broken");
  writeFileSync(
    join(dir, "src", "greet.js"),
    ["export function greet(name) {", "  return 'goodbye, ' + name;", "}", ""].join("\n"),
  );
  git(dir, "commit", "-qam", "break greet");
  git(dir, "checkout", "-q", "develop");
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
