import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { PassThrough } from "node:stream";
import { pack } from "tar-fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectJUnit, copyRoot } from "../../../compose/index.js";
import type { Engine } from "../../../engine/index.js";

const MOUNT = "/workspace";
const REPORT = (tests: number) => `<testsuite name="s" tests="${tests}" failures="0" errors="0" skipped="0"/>`;

/**
 * The four engine calls the collector makes, over a real directory standing in for the
 * workspace volume. `copyFromContainer` answers as the engine's archive endpoint does: entries
 * named after the copied path's last segment, symbolic links sent as links (tar-fs packs with
 * lstat), a missing path rejected. Every path asked for is recorded.
 */
function fakeEngine(workspace: string, asked: string[]): Engine {
  const engine: Pick<Engine, "ensureImage" | "createContainer" | "copyFromContainer" | "removeContainer"> = {
    ensureImage: async () => "sha256:helper",
    createContainer: async () => "helper-container",
    removeContainer: async () => {},
    copyFromContainer: async (_id, path) => {
      asked.push(path);
      const rel = relative(MOUNT, path);
      if (rel.startsWith("..")) throw new Error(`outside the volume: ${path}`);
      const host = join(workspace, rel);
      // dockerode's answer for a path the container does not have.
      if (!lstatSync(host, { throwIfNoEntry: false }))
        throw Object.assign(new Error("no such path"), { statusCode: 404 });
      return pack(dirname(host), { entries: [basename(host)] }).pipe(new PassThrough());
    },
  };
  return engine as Engine;
}

let tmp: string;
let workspace: string;
let artifacts: string;
let asked: string[];

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "slipway-junit-"));
  workspace = join(tmp, "workspace");
  artifacts = join(tmp, "artifacts");
  mkdirSync(workspace);
  asked = [];
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, body: string): void {
  mkdirSync(dirname(join(workspace, rel)), { recursive: true });
  writeFileSync(join(workspace, rel), body);
}

async function collect(patterns: string[]) {
  return collectJUnit({
    engine: fakeEngine(workspace, asked),
    volume: "ws",
    mountPath: MOUNT,
    patterns,
    artifactsDir: artifacts,
    image: "busybox:latest",
    labels: {},
  });
}

describe("collectJUnit", () => {
  it("a character class selects the files it names (the old matcher took `[` literally)", async () => {
    write("reports/a.xml", REPORT(1));
    write("reports/b.xml", REPORT(2));
    write("reports/d.xml", REPORT(4));
    const got = await collect(["reports/[abc].xml"]);
    expect(got.files).toEqual(["reports/a.xml", "reports/b.xml"]);
    expect(got.counts.map((c) => c.tests).sort()).toEqual([1, 2]);
    expect(got.problems).toEqual([]);
  });

  it("** reaches every depth, the top included, and copies the workspace once", async () => {
    write("junit-top.xml", REPORT(1));
    write("svc/a/junit-a.xml", REPORT(2));
    write("svc/a/b/c/junit-deep.xml", REPORT(3));
    write("svc/a/other.xml", REPORT(9));
    const got = await collect(["**/junit-*.xml", "svc/**/junit-*.xml"]);
    expect(got.files).toEqual(["junit-top.xml", "svc/a/b/c/junit-deep.xml", "svc/a/junit-a.xml"]);
    expect(asked).toEqual([MOUNT]);
  });

  it("braces alternate, and only the top segment of the base is copied", async () => {
    write("out/unit.xml", REPORT(1));
    write("out/it.xml", REPORT(2));
    write("out/e2e.xml", REPORT(3));
    const got = await collect(["out/{unit,it}.xml"]);
    expect(got.files).toEqual(["out/it.xml", "out/unit.xml"]);
    expect(asked).toEqual([`${MOUNT}/out`]);
  });

  it("a glob that leaves the workspace is a problem and reads nothing", async () => {
    const got = await collect(["../secrets/*.xml", "/etc/*.xml", "a/../../b.xml"]);
    expect(got.files).toEqual([]);
    expect(got.problems).toHaveLength(3);
    expect(got.problems[0]).toMatch(/^\.\.\/secrets\/\*\.xml: .*may not leave it/);
    expect(asked).toEqual([]);
  });

  it("does not follow a committed symlink out of the workspace, neither a directory nor a file", async () => {
    const outside = join(tmp, "outside");
    mkdirSync(join(outside, "sub"), { recursive: true });
    writeFileSync(join(outside, "sub", "stolen.xml"), REPORT(99));
    writeFileSync(join(outside, "stolen.xml"), REPORT(99));
    symlinkSync(outside, join(workspace, "reports"));
    write("out/real.xml", REPORT(1));
    symlinkSync(join(outside, "stolen.xml"), join(workspace, "out", "link.xml"));
    const got = await collect(["reports/sub/*.xml", "out/*.xml"]);
    expect(got.files).toEqual(["out/real.xml"]);
    // `reports` itself was asked for (so the engine sends the link, not what it points at).
    expect(asked.sort()).toEqual([`${MOUNT}/out`, `${MOUNT}/reports`]);
  });

  it("a malformed report is a problem naming its workspace path; the others still count", async () => {
    write("reports/good.xml", REPORT(2));
    write("reports/bad.xml", "<testsuite tests='1'><testcase></testsuite>");
    const got = await collect(["reports/*.xml"]);
    expect(got.files).toEqual(["reports/bad.xml", "reports/good.xml"]);
    expect(got.counts).toEqual([{ tests: 2, failures: 0, errors: 0, skipped: 0 }]);
    expect(got.problems).toHaveLength(1);
    expect(got.problems[0]).toMatch(/^reports\/bad\.xml:1:\d+: not well-formed XML/);
  });

  it.each([
    ["reports/unit/*.xml", "reports"],
    ["**/junit.xml", ""],
    ["junit.xml", ""],
    ["a/b[c]/d.xml", "a"],
  ])("copies %s from %j", (glob, root) => {
    expect(copyRoot(glob)).toBe(root);
  });
});

describe("collectJUnit and cancel", () => {
  it("hands the stage's signal to the pull of its helper image, so a cancel stops a slow pull", async () => {
    write("reports/a.xml", REPORT(1));
    const controller = new AbortController();
    let pulledWith: AbortSignal | undefined;
    const engine = fakeEngine(workspace, asked);
    engine.ensureImage = async (_ref, _onLine, signal) => {
      pulledWith = signal;
      return "sha256:helper";
    };
    await collectJUnit({
      engine,
      volume: "ws",
      mountPath: MOUNT,
      patterns: ["reports/*.xml"],
      artifactsDir: artifacts,
      image: "busybox:latest",
      labels: {},
      signal: controller.signal,
    });
    expect(pulledWith).toBe(controller.signal);
  });
});

describe("collectJUnit and a busy engine", () => {
  it("tries a failing copy once more, and reports a second failure instead of taking it for no reports", async () => {
    write("reports/a.xml", REPORT(2));
    const engine = fakeEngine(workspace, asked);
    const real = engine.copyFromContainer.bind(engine);
    let failures = 1;
    engine.copyFromContainer = async (cid, path) => {
      if (failures-- > 0) throw Object.assign(new Error("(HTTP code 500) server error - timeout"), { statusCode: 500 });
      return real(cid, path);
    };
    const once = await collect2(engine, ["reports/*.xml"]);
    expect(once.files).toEqual(["reports/a.xml"]);
    expect(once.problems).toEqual([]);
    failures = 2;
    const twice = await collect2(engine, ["reports/*.xml"]);
    expect(twice.files).toEqual([]);
    expect(twice.problems).toEqual([
      "reports: could not copy the reports out of the workspace: (HTTP code 500) server error - timeout",
    ]);
  });
});

function collect2(engine: Engine, patterns: string[]) {
  return collectJUnit({
    engine,
    volume: "ws",
    mountPath: MOUNT,
    patterns,
    artifactsDir: artifacts,
    image: "busybox:latest",
    labels: {},
  });
}
