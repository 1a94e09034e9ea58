import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, persistentRunnerId, RUNNER_ID_FILE } from "../../../config/index.js";

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-runner-id-"));
  dirs.push(dir);
  return join(dir, "data");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("persistentRunnerId: the default runner id lives in the data dir", () => {
  it("is written on first start and survives a new hostname (a recreated container)", () => {
    const dir = dataDir();
    expect(persistentRunnerId(dir, "c0ffee01")).toBe("serve@c0ffee01");
    expect(readFileSync(join(dir, RUNNER_ID_FILE), "utf8")).toBe("serve@c0ffee01\n");
    expect(persistentRunnerId(dir, "deadbeef")).toBe("serve@c0ffee01");
  });

  it("keeps a hand-written id, and refuses an invalid one with a coded error", () => {
    const dir = dataDir();
    persistentRunnerId(dir, "h");
    writeFileSync(join(dir, RUNNER_ID_FILE), "ci-7\n");
    expect(persistentRunnerId(dir, "h")).toBe("ci-7");
    writeFileSync(join(dir, RUNNER_ID_FILE), "not valid!\n");
    let error: unknown;
    try {
      persistentRunnerId(dir, "h");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.code).toBe("SLIPWAY_E_CONFIG_BAD_VALUE");
  });

  it("is what loadConfig uses when asked, unless runner_id or SLIPWAY_RUNNER_ID is set", () => {
    const dir = dataDir();
    const env = { SLIPWAY_DATA_DIR: dir };
    const cwd = tmpdir();
    const fromFile = (d: string) => persistentRunnerId(d, "first-host");
    expect(loadConfig({ env, cwd, hostname: "other", defaultRunnerId: fromFile }).runnerId).toBe("serve@first-host");
    expect(loadConfig({ env, cwd, hostname: "other" }).runnerId).toBe("serve@other");
    const explicit = { ...env, SLIPWAY_RUNNER_ID: "ci-1" };
    expect(loadConfig({ env: explicit, cwd, defaultRunnerId: fromFile }).runnerId).toBe("ci-1");
  });
});
