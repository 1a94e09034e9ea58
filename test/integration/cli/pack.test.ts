import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/fixture-repo.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "slipway-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The package as a user gets it: `npm pack`, then the tarball installed into an empty
// project elsewhere, then its `slipway` bin. The global setup has just built dist/, so the
// pack skips `prepare`. The install skips install scripts too: better-sqlite3 would compile
// from source for a minute, and neither verb run here loads it (lazy-imports.test.ts).
describe("npm pack + install", () => {
  it("installs from the tarball and runs slipway --help and validate from there", async () => {
    const { stdout } = await exec("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: ROOT,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    if (!packed) throw new Error(`npm pack printed nothing: ${stdout}`);
    const files = packed.files.map((f) => f.path);
    expect(files).toContain("dist/runner/cli.js");
    expect(files).toContain("dist/bundle/cli.js");
    expect(files).toContain("dist/bundle/vendor/yaml.cjs");
    expect(files).toContain("dist/bundle/vendor/picomatch.cjs");
    expect(files).toContain("builders/catalog/node/22/Dockerfile");
    expect(files.some((f) => f.startsWith("test/") || f.startsWith("bench/") || f.endsWith(".ts"))).toBe(false);

    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "pack-check", private: true }));
    await exec(
      "npm",
      ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir, packed.filename)],
      { cwd: app, timeout: 280_000 },
    );
    const bin = join(app, "node_modules", ".bin", "slipway");
    const help = await exec(bin, ["--help"], { cwd: app });
    expect(help.stdout).toMatch(/^usage: slipway <command>/);
    // tsx is a dev dependency now: the installed program runs without it.
    expect(existsSync(join(app, "node_modules", "tsx"))).toBe(false);
    const installed = join(app, "node_modules", "slipway");
    const validate = await exec(bin, ["validate", join(installed, "examples", "hello-node", "slipway.yml")]);
    expect(validate.stdout).toMatch(/ok \(\d+ stages\)/);
  });
});
