import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectGarbage, DockerEngine, type EngineError, LABEL, slipwayLabels } from "../../engine/index.js";
import { TEST_OWNER } from "../helpers/cli.js";
import { docker, imageLabels } from "../helpers/docker.js";

const engine = new DockerEngine();
const runId = `engine-test-${process.pid}`;
const labels = slipwayLabels({ owner: TEST_OWNER, runId, role: "step" });

afterAll(async () => {
  await collectGarbage(engine, { runId, isAlive: () => false });
});

async function run(cmd: string[], extra: Partial<Parameters<typeof engine.createContainer>[0]> = {}) {
  const id = await engine.createContainer({ image: "busybox:latest", cmd, labels, ...extra });
  const lines: string[] = [];
  // As steps do: attached before start, so no output can be missed.
  const output = await engine.attachOutput(id, (line, stream) => lines.push(`${stream}:${line}`));
  await engine.startContainer(id);
  const code = await engine.waitContainer(id);
  await output.done;
  await engine.removeContainer(id);
  return { code, lines };
}

describe("DockerEngine (real daemon)", () => {
  it("never pulls an image that is present, and reports a missing one with a code", async () => {
    // No registry is reachable here: a pull attempt would fail, so success proves no pull happened.
    expect(await engine.ensureImage("busybox:latest")).toMatch(/^sha256:/);
    const err = await engine.ensureImage("slipway-absent/never:1").catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("SLIPWAY_E_ENGINE_PULL_FAILED");
  });

  it("streams stdout and stderr line by line and returns the exit code", async () => {
    const { code, lines } = await run(["sh", "-c", "echo out1; echo err1 >&2; printf 'a\\nb'; exit 3"]);
    expect(code).toBe(3);
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual(["stdout:out1", "stdout:a", "stdout:b"]);
    expect(lines).toContain("stderr:err1");
  });

  it("reads a container's logged output line by line after the fact (streamLogs)", async () => {
    const id = await engine.createContainer({
      image: "busybox:latest",
      cmd: ["sh", "-c", "echo one; echo two >&2; echo three"],
      labels,
    });
    await engine.startContainer(id);
    await engine.waitContainer(id);
    const lines: string[] = [];
    await engine.streamLogs(id, (line, stream) => lines.push(`${stream}:${line}`));
    await engine.removeContainer(id);
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual(["stdout:one", "stdout:three"]);
    expect(lines).toContain("stderr:two");
  });

  it("builds with .dockerignore honoured and labels the image", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-build-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), "FROM busybox:latest\nCOPY . /ctx/\n");
      writeFileSync(join(dir, "keep.txt"), "k");
      writeFileSync(join(dir, "secret.env"), "s");
      writeFileSync(join(dir, ".dockerignore"), "*.env\n");
      const lines: string[] = [];
      const tag = `slipway-test/ctx:${process.pid}`;
      const id = await engine.buildImage({
        context: dir,
        tags: [tag, `${tag}-b`],
        labels: { a: "b" },
        onLine: (l) => lines.push(l),
      });
      expect(lines.some((l) => l.includes("Step 1/"))).toBe(true);
      expect(await engine.imageId(`${tag}-b`)).toBe(id);
      expect((await imageLabels(id)).a).toBe("b");
      const { lines: ls } = await run(["ls", "/ctx"], { image: tag });
      expect(ls.sort()).toEqual(["stdout:Dockerfile", "stdout:keep.txt"]);
      await engine.removeImage(tag);
      await engine.removeImage(`${tag}-b`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a failing build with its output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-build-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), "FROM busybox:latest\nRUN echo boom && exit 7\n");
      const err = (await engine
        .buildImage({ context: dir, tags: ["slipway-test/fail:1"] })
        .catch((e: unknown) => e)) as EngineError;
      expect(err.code).toBe("SLIPWAY_E_ENGINE_BUILD_FAILED");
      expect(err.message).toMatch(/boom/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops a container that ignores SIGTERM after the grace period", async () => {
    const id = await engine.createContainer({ image: "busybox:latest", cmd: ["sleep", "300"], labels });
    await engine.startContainer(id);
    const started = Date.now();
    await engine.stopContainer(id, 1);
    const elapsed = Date.now() - started;
    const state = await engine.inspectContainer(id);
    expect(state.running).toBe(false);
    // `sleep` as PID 1 has no SIGTERM handler, so the kernel ignores the signal: the engine
    // waited the whole grace period and then killed it (128 + SIGKILL).
    expect(state.exitCode).toBe(137);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(60_000);
    await engine.removeContainer(id);
    await engine.removeContainer(id); // already gone is fine
  });

  it("gc removes what dead runs left, keeps live runs' and unlabelled resources", async () => {
    const dead = spawnSync("true");
    const deadLabels = {
      ...slipwayLabels({ owner: TEST_OWNER, runId: `${runId}-dead`, role: "step" }),
      [LABEL.pid]: String(dead.pid),
    };
    const deadNet = await engine.createNetwork(`slipway-test-dead-${process.pid}`, deadLabels);
    const deadVol = await engine.createVolume(`slipway-test-dead-${process.pid}`, deadLabels);
    const deadCtr = await engine.createContainer({
      image: "busybox:latest",
      cmd: ["true"],
      labels: deadLabels,
      network: deadNet,
      binds: [`${deadVol}:/data`],
    });
    const liveCtr = await engine.createContainer({ image: "busybox:latest", cmd: ["true"], labels });
    const plain = await docker.createContainer({ Image: "busybox:latest", Cmd: ["true"] });
    try {
      const report = await collectGarbage(engine);
      const removed = report.removed.map((r) => r.id);
      expect(removed).toEqual(expect.arrayContaining([deadCtr, deadNet, deadVol]));
      expect(removed).not.toContain(liveCtr);
      expect(await engine.listResources([`${LABEL.run}=${runId}-dead`])).toEqual([]);
      expect((await engine.inspectContainer(liveCtr)).id).toBe(liveCtr);
      expect((await plain.inspect()).Id).toBe(plain.id);
    } finally {
      await plain.remove({ force: true });
      await engine.removeContainer(liveCtr);
    }
  });
});
