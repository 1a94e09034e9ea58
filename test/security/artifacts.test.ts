import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPipeline, type ProbeLab as Lab, ProbeLab, type ProbeResult } from "./harness.js";

/**
 * Artifact extraction probes of issue 7 against a real `slipway serve` on the real engine:
 * each hostile tree fails its stage with a precise code while the host stays untouched and
 * the daemon keeps serving.
 */
describe("security: artifact extraction", () => {
  const lab = new ProbeLab();
  beforeAll(() => lab.start());
  afterAll(() => lab.stop());

  function expectRefused(result: ProbeResult, code: string, lab: Lab) {
    expect(result.run.status, result.logs).toBe("failed");
    expect(result.stage("build")?.status).toBe("failed");
    expect(result.stage("build")?.detail).toBe(code);
    expect(result.errors).toContain(code);
    for (const host of lab.hostPaths()) expect(result.errors).not.toContain(host);
  }

  it("a committed symlink to a host directory is never written through (probe 1)", async () => {
    const result = await lab.probe("symlink-out", {
      files: { "slipway.yml": buildPipeline(["rm out && mkdir out && echo x > out/evil.txt"], ["out/evil.txt"]) },
      symlinks: { out: lab.hostDir },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_SYMLINK", lab);
    expect(existsSync(join(lab.hostDir, "evil.txt"))).toBe(false);
    expect(readdirSync(lab.hostDir)).toEqual([]);
  });

  it("a directory replacing a committed file fails the stage, not the daemon (probe 2, ENOTDIR)", async () => {
    const result = await lab.probe("enotdir", {
      files: {
        "slipway.yml": buildPipeline(["rm out3 && mkdir -p out3/sub && echo x > out3/sub/f"], ["out3"]),
        out3: "a regular file\n",
      },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_TYPE_CONFLICT", lab);
    expect(await lab.healthy()).toBe(true);
    // A later run of a sound pipeline works on the same daemon.
    const later = await lab.probe("after-enotdir", {
      files: { "slipway.yml": buildPipeline(["mkdir -p out && echo ok > out/fine"], ["out/fine"]) },
    });
    expect(later.run.status, later.logs).toBe("success");
    expect(later.stage("build")?.detail).toBe("1 artifact file(s)");
  });

  it("a file replacing a committed directory is refused", async () => {
    const result = await lab.probe("file-for-dir", {
      files: { "slipway.yml": buildPipeline(["rm -rf d && echo x > d"], ["d"]), "d/keep": "kept\n" },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_TYPE_CONFLICT", lab);
  });

  it("hard links in an artifact are refused", async () => {
    const result = await lab.probe("hardlink", {
      files: { "slipway.yml": buildPipeline(["mkdir h && echo x > h/a && ln h/a h/b"], ["h"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_LINK", lab);
  });

  it("device files in an artifact are refused (mknod as root in the step)", async () => {
    const result = await lab.probe("device", {
      files: { "slipway.yml": buildPipeline(["mkdir dv && mknod dv/null c 1 3"], ["dv"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_DEVICE", lab);
  });

  it("a FIFO in an artifact is refused", async () => {
    const result = await lab.probe("fifo", {
      files: { "slipway.yml": buildPipeline(["mkdir fi && mkfifo fi/p"], ["fi"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_DEVICE", lab);
  });

  it("an absurdly long path in an artifact is refused", async () => {
    // 20 levels of 250-byte names: 5 KB, beyond PATH_MAX, built by nesting with short renames.
    const seg = "p".repeat(250);
    const result = await lab.probe("long-path", {
      files: {
        "slipway.yml": buildPipeline(
          [
            `mkdir deep && cd deep && mkdir ${seg} && echo x > ${seg}/f`,
            `for i in $(seq 1 20); do mkdir t && mv ${seg} t/ && mv t ${seg}; done`,
          ],
          ["deep"],
        ),
      },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_PATH", lab);
  });

  it("a symlink in the artifact pointing at a host file is refused, not copied (extra)", async () => {
    const result = await lab.probe("artifact-abs-link", {
      files: { "slipway.yml": buildPipeline(["mkdir s && ln -s /etc/passwd s/pw"], ["s"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_SYMLINK", lab);
  });

  it("a relative symlink in the artifact climbing out of the checkout is refused (extra)", async () => {
    const result = await lab.probe("artifact-up-link", {
      files: { "slipway.yml": buildPipeline(["mkdir s && ln -s ../../../../../../ s/up"], ["s"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_SYMLINK", lab);
  });

  it("a .git directory produced by the step is never copied into the checkout (extra)", async () => {
    // With `.git/config` in the checkout, `core.fsmonitor` would run a command on the host.
    const result = await lab.probe("artifact-dot-git", {
      files: {
        "slipway.yml": buildPipeline(
          ["mkdir -p pkg/.git && printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' > pkg/.git/config"],
          ["pkg"],
        ),
      },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_PATH", lab);
  });

  it("`..` and `.git` in declared artifact names are refused when the pipeline is read (extra)", async () => {
    for (const [branch, artifact] of [
      ["artifact-dotdot", "out/../../x"],
      ["artifact-git-name", ".git/config"],
    ] as const) {
      const result = await lab.probe(branch, { files: { "slipway.yml": buildPipeline(["true"], [artifact]) } });
      expect(result.run.status).toBe("failed");
      expect(result.stages).toEqual([]);
      expect(result.logs).toContain("SLIPWAY_E_PIPELINE_BAD_PATH");
    }
  });

  it("symlink loops (links to links) in the artifact are refused (extra)", async () => {
    const result = await lab.probe("artifact-loop", {
      files: { "slipway.yml": buildPipeline(["mkdir lp && ln -s b lp/a && ln -s a lp/b && echo x > lp/f"], ["lp"]) },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_SYMLINK", lab);
    expect(await lab.healthy()).toBe(true);
  });

  it("control characters and unicode in names are written as names, shown escaped (extra)", async () => {
    const result = await lab.probe("artifact-names", {
      files: {
        "slipway.yml": buildPipeline(
          ["mkdir u && touch \"u/$(printf 'caf\\303\\251 \\033[31mred')\" && ln -s /etc \"u/$(printf 'x\\033[2J')\""],
          ["u"],
        ),
      },
    });
    expectRefused(result, "SLIPWAY_E_ARTIFACT_SYMLINK", lab);
    // The refusal names the entry with its escape character made visible, never raw.
    expect(result.errors).toContain("\\x1b[2J");
    expect(result.errors).not.toContain("\u001b[2J");
  });

  it("an artifact overwriting a committed file of the same type is still allowed", async () => {
    const result = await lab.probe("overwrite-ok", {
      files: { "slipway.yml": buildPipeline(["echo new > VERSION"], ["VERSION"]), VERSION: "old\n" },
    });
    expect(result.run.status, result.logs).toBe("success");
    const artifact = join(lab.daemon.dataDir, "data", "runs", result.run.id, "artifacts", "build", "VERSION");
    expect(readFileSync(artifact, "utf8")).toBe("new\n");
  });
});
