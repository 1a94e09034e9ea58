import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../engine/index.js";
import { demoResources, isDemoImage, localImageRefs } from "../../runner/demo/down.js";
import { DEMO } from "../../runner/demo/sample-repo.js";
import { ROOT } from "../helpers/fixture-repo.js";

const exec = promisify(execFile);
const engine = new DockerEngine();
// A private HOME, TMPDIR and demo dir: the demo collides with nothing a user or another test has.
const sandbox = mkdtempSync(join(tmpdir(), "slipway-demo-test-"));
const demoDir = join(sandbox, "demo");
const env = { ...process.env, HOME: sandbox, TMPDIR: sandbox, SLIPWAY_DEMO_DIR: demoDir };
const slipway = (...args: string[]) =>
  exec(process.execPath, [join(ROOT, "bin", "slipway.js"), ...args], { cwd: sandbox, env, timeout: 840_000 });

afterAll(async () => {
  await slipway("demo", "--down").catch(() => {});
  rmSync(sandbox, { recursive: true, force: true });
});

/** Whether a process serves the demo's registry config (its path is on the command line). */
function registryRunning(): boolean {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(join(demoDir, "registry"));
      } catch {
        return false;
      }
    });
}

describe("slipway demo", () => {
  it("runs develop then v1.0 through the daemon, then --down leaves nothing behind", async () => {
    const { stdout } = await slipway("demo");
    expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/^run #1 refs\/heads\/develop \(develop-1\): success$/m);
    expect(stdout).toMatch(/^run #2 refs\/tags\/v1\.0 \(v1\.0\): success$/m);
    expect(stdout).toMatch(/deploy-integration\s+success .*now runs develop-1/);
    // The demo really built its image and left its environment running until --down.
    expect(localImageRefs().filter(isDemoImage).length).toBeGreaterThan(0);
    expect((await demoResources(engine)).some((r) => r.kind === "container")).toBe(true);

    await slipway("demo", "--down");
    expect(await demoResources(engine)).toEqual([]);
    expect(localImageRefs().filter(isDemoImage)).toEqual([]);
    expect(registryRunning()).toBe(false);
    expect(existsSync(demoDir)).toBe(false);
    expect(existsSync(join(sandbox, "slipway-environments", DEMO.envProject))).toBe(false);
  }, 900_000);
});
