import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePipeline } from "../../../pipelines/index.js";
import { BUILD_ID } from "../../../runner/build-id.js";
import { parsePipelineCached } from "../../../runner/pipeline-cache.js";

const root = mkdtempSync(join(tmpdir(), "slipway-pipeline-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const text = (word: string) =>
  `name: cached\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: hello\n    builder: box\n    commands: ["echo ${word}"]\n`;
let n = 0;
const fresh = () => join(root, `repo-${n++}`);
const entryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "pipeline.json"), "utf8"));
const commandOf = (r: ReturnType<typeof parsePipelineCached>) => {
  if (!r.ok) throw new Error("not ok");
  const stage = r.pipeline.stages[0];
  return stage?.type === "build" ? stage.commands[0] : undefined;
};

describe("parsePipelineCached", () => {
  it("gives what parsePipeline gives, frozen, and keeps it", () => {
    const dir = fresh();
    const r = parsePipelineCached({ dir, buildId: "b1", file: "slipway.yml", text: text("a") });
    expect(r).toStrictEqual(parsePipeline(text("a"), "slipway.yml"));
    expect(r.ok && Object.isFrozen(r.pipeline.stages[0])).toBe(true);
    expect(entryOf(dir).result).toStrictEqual(r);
  });

  it("answers from what it kept while build, file name and text are the same", () => {
    const dir = fresh();
    const args = { dir, buildId: "b1", file: "slipway.yml", text: text("a") };
    parsePipelineCached(args);
    // The kept entry is edited behind its back: an answer from it shows it was read, not parsed.
    const entry = entryOf(dir);
    entry.result.pipeline.stages[0].commands = ["echo from-the-cache"];
    writeFileSync(join(dir, "pipeline.json"), JSON.stringify(entry));
    const hit = parsePipelineCached(args);
    expect(commandOf(hit)).toBe("echo from-the-cache");
    expect(hit.ok && Object.isFrozen(hit.pipeline.stages[0])).toBe(true);
    // Any other key parses (and the parse replaces the entry).
    expect(commandOf(parsePipelineCached({ ...args, buildId: "b2" }))).toBe("echo a");
    writeFileSync(join(dir, "pipeline.json"), JSON.stringify(entry));
    expect(commandOf(parsePipelineCached({ ...args, file: "ci/slipway.yml" }))).toBe("echo a");
    writeFileSync(join(dir, "pipeline.json"), JSON.stringify(entry));
    expect(commandOf(parsePipelineCached({ ...args, text: text("b") }))).toBe("echo b");
    expect(commandOf(parsePipelineCached({ ...args, text: text("b") }))).toBe("echo b");
  });

  it("never keeps a pipeline with errors, and leaves the last good one in place", () => {
    const dir = fresh();
    parsePipelineCached({ dir, buildId: "b1", file: "slipway.yml", text: text("a") });
    const before = readFileSync(join(dir, "pipeline.json"), "utf8");
    const bad = parsePipelineCached({ dir, buildId: "b1", file: "slipway.yml", text: `${text("a")}oops: [\n` });
    expect(bad.ok).toBe(false);
    expect(bad.problems[0]).toMatchObject({ file: "slipway.yml", line: expect.any(Number) });
    expect(readFileSync(join(dir, "pipeline.json"), "utf8")).toBe(before);
    const empty = fresh();
    expect(parsePipelineCached({ dir: empty, buildId: "b1", file: "slipway.yml", text: "name: x\n" }).ok).toBe(false);
    expect(existsSync(join(empty, "pipeline.json"))).toBe(false);
  });

  it.each([
    ["not JSON", "{"],
    ["not ok", JSON.stringify({ key: "?", result: { ok: false, problems: [] } })],
    ["no pipeline", JSON.stringify({ key: "?", result: { ok: true, problems: [] } })],
    ["null", "null"],
  ])("parses over an entry that is %s", (_what, content) => {
    const dir = fresh();
    const args = { dir, buildId: "b1", file: "slipway.yml", text: text("a") };
    parsePipelineCached(args);
    // The right key with a broken result must not be taken either.
    const key = entryOf(dir).key as string;
    writeFileSync(join(dir, "pipeline.json"), content.replace('"?"', JSON.stringify(key)));
    expect(parsePipelineCached(args)).toStrictEqual(parsePipeline(text("a"), "slipway.yml"));
    expect(entryOf(dir).key).toBe(key);
  });

  it("parses when the entry cannot be written (a file where its directory should be)", () => {
    const dir = join(root, "a-file");
    writeFileSync(dir, "");
    const r = parsePipelineCached({ dir, buildId: "b1", file: "slipway.yml", text: text("a") });
    expect(commandOf(r)).toBe("echo a");
  });

  it("has no build id when Slipway runs from its sources, so nothing is kept there", () => {
    // bin/bundle-cli.mjs defines it for the bundle; the CLI passes it on to runLocal.
    expect(BUILD_ID).toBeUndefined();
  });
});
