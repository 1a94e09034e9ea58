import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./fixture-repo.js";

/**
 * Tests spawn the compiled `slipway` (bin/slipway.js runs dist/bundle/, bundled from dist/), so a test run must never
 * exercise a dist/ older than the sources: the global setup calls this, and it recompiles
 * (incrementally) when any source file is newer than the last build. The check is a walk of
 * mtimes, a few milliseconds, so running one test file stays cheap when nothing changed.
 * The last build is the mtime of dist/.tsbuildinfo, touched after each build here: tsc does
 * not rewrite outputs whose source was only touched (a checkout, a rebase), so comparing
 * against each .js would rebuild forever.
 */
export function ensureBuilt(): void {
  // Outputs deleted behind tsc's back: an incremental build would trust its build info.
  if (!existsSync(join(ROOT, "dist", "runner", "cli.js")) || !existsSync(join(ROOT, "dist", "bundle", "cli.js")))
    rmSync(BUILD_INFO, { force: true });
  const stale = staleSources();
  if (stale.length === 0) return;
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "pipe" });
    // The same second step as `npm run build`: the bundle the bin runs.
    execFileSync(process.execPath, [join(ROOT, "bin", "bundle-cli.mjs")], { cwd: ROOT, stdio: "pipe" });
  } catch (err) {
    const e = err as { stdout?: Buffer; message: string };
    throw new Error(
      `npm run build failed (${stale.length} stale file(s), e.g. ${stale[0]}):\n${e.stdout ?? e.message}`,
    );
  }
  const now = new Date();
  utimesSync(BUILD_INFO, now, now);
}

const BUILD_INFO = join(ROOT, "dist", ".tsbuildinfo");

/** Source files (relative to the root) changed since the last build, or all without one. */
export function staleSources(): string[] {
  const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as { exclude: string[] };
  const base = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as { include: string[] };
  const excluded = new Set(build.exclude);
  const built = existsSync(BUILD_INFO) ? statSync(BUILD_INFO).mtimeMs : 0;
  const stale: string[] = [];
  const visit = (path: string) => {
    const rel = relative(ROOT, path);
    if (excluded.has(rel) || !existsSync(path)) return;
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
      return;
    }
    if (!/\.tsx?$/.test(rel) || rel.endsWith(".d.ts")) return;
    if (st.mtimeMs > built) stale.push(rel);
  };
  for (const entry of base.include) visit(join(ROOT, entry));
  return stale;
}
