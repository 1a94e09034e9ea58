import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DockerEngine, LABEL, type LabelledResource } from "../../../engine/index.js";
import type { ComposeStage } from "../../../pipelines/types.js";

/** Owner label of everything these tests create; the global teardown treats `slipway-test*` leftovers as leaks. */
export const OWNER = "slipway-test-compose";
export const FIXTURES = resolve(import.meta.dirname, "../../fixtures/compose");
export const stackDir = (name: string) => join(FIXTURES, "stacks", name);

/**
 * Builds a fixture image once and reuses it by tag: the tag is a hash of the image's files,
 * so an edited Dockerfile gets a new image and repeated runs skip the (slow) apt-get.
 */
export async function fixtureImage(engine: DockerEngine, name: "app" | "db"): Promise<string> {
  const dir = join(FIXTURES, "images", name);
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  const tag = `slipway-test/compose-${name}:${hash.digest("hex").slice(0, 12)}`;
  if (!(await engine.imageId(tag))) await engine.buildImage({ context: dir, tags: [tag] });
  return tag;
}

/** A compose stage as the pipeline parser would produce it. */
export function composeStage(partial: Partial<ComposeStage> & Pick<ComposeStage, "file">): ComposeStage {
  return {
    type: "compose",
    name: "integration",
    env: {},
    parallel: 1,
    wait: { tcp: [], http: [], timeoutSeconds: 60 },
    junit: [],
    ...partial,
  };
}

/** The run's workspace volume, labelled like the runner labels it. */
export async function workspaceVolume(
  engine: DockerEngine,
  runId: string,
): Promise<{ volume: string; mountPath: string }> {
  const volume = await engine.createVolume(`${runId}-workspace`, {
    [LABEL.owner]: OWNER,
    [LABEL.run]: runId,
    [LABEL.role]: "builder",
  });
  return { volume, mountPath: "/workspace" };
}

/** Everything still carrying the run's label. */
export function runResources(engine: DockerEngine, runId: string): Promise<LabelledResource[]> {
  return engine.listResources([`${LABEL.run}=${runId}`]);
}

/** Containers, networks and volumes of a compose project, labelled by Slipway or not. */
export function projectResources(engine: DockerEngine, project: string): Promise<LabelledResource[]> {
  return engine.listResources([`com.docker.compose.project=${project}`]);
}

/** Removes the workspace volume, then returns whatever else the run left behind (should be nothing). */
export async function cleanupRun(engine: DockerEngine, runId: string): Promise<string[]> {
  await engine.removeResource({ kind: "volume", id: `${runId}-workspace`, name: `${runId}-workspace`, labels: {} });
  const left = await runResources(engine, runId);
  for (const r of left) await engine.removeResource(r).catch(() => {});
  return left.map((r) => `${r.kind} ${r.name}`);
}

let counter = 0;
/** A run id unique to this process and test. */
export function newRunId(tag: string): string {
  counter++;
  return `t${process.pid}-${Date.now().toString(36)}-${tag}${counter}`;
}

/** Collects the stage log (and echoes it when SLIPWAY_TEST_VERBOSE is set). */
export function logSink(): { lines: string[]; log(line: string): void; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    log(line: string) {
      lines.push(line);
      if (process.env.SLIPWAY_TEST_VERBOSE) console.log(line);
    },
    text: () => lines.join("\n"),
  };
}
