import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeFile, composePipeline, ProbeLab, type ProbeResult } from "./harness.js";

/**
 * Every kind of path a pipeline names must resolve inside the checkout (symbolic links
 * followed) or be refused with a code, and the refusal never shows a host path.
 */
describe("security: paths stay inside the checkout", () => {
  const lab = new ProbeLab();
  beforeAll(async () => {
    await lab.start();
    writeFileSync(join(lab.hostDir, "Dockerfile"), "FROM busybox:latest\n");
    writeFileSync(join(lab.hostDir, "compose.yml"), composeFile());
    writeFileSync(join(lab.hostDir, "host.env"), "HOST_SECRET=from-the-host\n");
  });
  afterAll(() => lab.stop());

  function expectRefused(result: ProbeResult, stage: string, code: string) {
    expect(result.run.status, result.logs).toBe("failed");
    expect(result.stage(stage)?.status, result.logs).toBe("failed");
    expect(result.stage(stage)?.detail ?? "").toMatch(new RegExp(`^${code}\\b`));
    expect(result.errors).toContain(code);
    for (const host of lab.hostPaths()) {
      expect(result.errors).not.toContain(host);
      expect(result.stage(stage)?.detail ?? "").not.toContain(host);
    }
  }
  const builderPipeline = (dockerfile: string) =>
    `name: probe\nbuilders:\n  b: { dockerfile: ${JSON.stringify(dockerfile)}, version: "1" }\nstages:\n  - name: build\n    builder: b\n    commands: ["true"]\n`;
  const packagePipeline = (pkg: string) =>
    `name: probe\nimage: slipway-probe/pkg\nstages:\n  - name: package\n    package: ${pkg}\n`;

  it("builder dockerfile climbing out with ..", async () => {
    const r = await lab.probe("builder-dotdot", { files: { "slipway.yml": builderPipeline("../../../x/Dockerfile") } });
    expectRefused(r, "build", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect(r.errors).toContain('"../../../x"');
  });

  it("builder dockerfile through a committed symlink to a host file (extra)", async () => {
    const r = await lab.probe("builder-symlink", {
      files: { "slipway.yml": builderPipeline("b/Dockerfile") },
      symlinks: { "b/Dockerfile": join(lab.hostDir, "Dockerfile") },
    });
    expectRefused(r, "build", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("package context climbing out with ..", async () => {
    const r = await lab.probe("package-context", {
      files: { "slipway.yml": packagePipeline("{ context: ../../../x }") },
    });
    expectRefused(r, "package", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("package context that is a committed symlink to / (extra)", async () => {
    const r = await lab.probe("package-context-root", {
      files: { "slipway.yml": packagePipeline("{ context: root }") },
      symlinks: { root: "/" },
    });
    expectRefused(r, "package", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("package dockerfile given as an absolute host path (extra)", async () => {
    const r = await lab.probe("package-abs", {
      files: { "slipway.yml": packagePipeline("{ dockerfile: /etc/passwd }"), Dockerfile: "FROM busybox:latest\n" },
    });
    expectRefused(r, "package", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("compose file climbing out with ..", async () => {
    const r = await lab.probe("compose-dotdot", {
      files: { "slipway.yml": composePipeline("../../../x/compose.yml") },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("/etc/passwd as the compose file is refused before it is read", async () => {
    const r = await lab.probe("compose-passwd", { files: { "slipway.yml": composePipeline("/etc/passwd") } });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect(r.errors).not.toMatch(/services/);
  });

  it("a missing compose file says 'not found in the checkout' with the repository path only", async () => {
    const r = await lab.probe("compose-missing", { files: { "slipway.yml": composePipeline("it/nope.yml") } });
    expectRefused(r, "it", "SLIPWAY_E_PATH_NOT_FOUND");
    expect(r.errors).toContain("not found in the checkout (it/nope.yml)");
  });

  it("compose file that is a committed symlink to a host file (extra)", async () => {
    const r = await lab.probe("compose-symlink", {
      files: { "slipway.yml": composePipeline("it/compose.yml") },
      symlinks: { "it/compose.yml": join(lab.hostDir, "compose.yml") },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("extends.file outside the checkout, with its position", async () => {
    const r = await lab.probe("compose-extends", {
      files: {
        "slipway.yml": composePipeline("it/compose.yml"),
        "it/compose.yml": composeFile(["extends: { file: ../../../../x/base.yml, service: t }"]),
      },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect(r.errors).toMatch(/it\/compose\.yml:4:\d+: service "t": extends\.file/);
  });

  it("env_file naming a host file, and one through a symlink", async () => {
    const r = await lab.probe("compose-env-file", {
      files: { "slipway.yml": composePipeline("c.yml"), "c.yml": composeFile(["env_file: /etc/passwd"]) },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    const viaLink = await lab.probe("compose-env-file-link", {
      files: {
        "slipway.yml": composePipeline("c.yml"),
        "c.yml": composeFile(["env_file: [ok.env, link.env]"]),
        "ok.env": "A=1\n",
      },
      symlinks: { "link.env": join(lab.hostDir, "host.env") },
    });
    expectRefused(viaLink, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect(viaLink.errors).toMatch(/c\.yml:4:\d+: service "t": env_file "link\.env"/);
    expect(viaLink.logs).not.toContain("from-the-host");
  });

  it("compose include: of a file outside the checkout (extra)", async () => {
    const r = await lab.probe("compose-include", {
      files: {
        "slipway.yml": composePipeline("c.yml"),
        "c.yml": `include:\n  - ../../../../etc/x.yml\n${composeFile()}`,
      },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("build.context: / in a compose file (extra)", async () => {
    const r = await lab.probe("compose-build-root", {
      files: { "slipway.yml": composePipeline("c.yml"), "c.yml": composeFile(["build: /"]) },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("build.dockerfile climbing out of its context (extra)", async () => {
    const r = await lab.probe("compose-build-dockerfile", {
      files: {
        "slipway.yml": composePipeline("c.yml"),
        "c.yml": composeFile(["build: { context: ., dockerfile: ../../../../etc/passwd }"]),
      },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
  });

  it("a symlink loop as the compose file (extra)", async () => {
    const r = await lab.probe("compose-loop", {
      files: { "slipway.yml": composePipeline("loop-a.yml") },
      symlinks: { "loop-a.yml": "loop-b.yml", "loop-b.yml": "loop-a.yml" },
    });
    expectRefused(r, "it", "SLIPWAY_E_PATH_NOT_FOUND");
    expect(await lab.healthy()).toBe(true);
  });
});
