import { DockerEngine, isOwnerAlive, LABEL } from "../engine/index.js";
import { ensureBuilt } from "./helpers/build.js";
import { PG_SERVICE_LABEL } from "./helpers/postgres.js";

/**
 * The suite needs a real Docker engine. Without one it fails (never skips), with the
 * command that provisions it; `SLIPWAY_TEST_UNIT_ONLY=1` (npm run test:unit) runs only the
 * tests that need no engine. At the end, anything still labelled by a test run is a leak.
 * Tests spawn the compiled CLI, so dist/ is brought up to date with the sources first.
 */
export async function setup(): Promise<void> {
  if (process.env.SLIPWAY_TEST_UNIT_ONLY === "1") return;
  ensureBuilt();
  const engine = new DockerEngine();
  try {
    await engine.ping();
  } catch (err) {
    throw new Error(
      `A Docker engine is required for the integration tests (CI=${process.env.CI ?? "unset"}): ` +
        `start one with \`bash .ci/docker-up.sh --images\`, or run \`npm run test:unit\`.\n${(err as Error).message}`,
    );
  }
  for (const image of ["busybox:latest", "debian:bookworm-slim"]) {
    if (!(await engine.imageId(image))) {
      throw new Error(`base image ${image} is missing: run \`bash .ci/docker-up.sh --images\``);
    }
  }
}

export async function teardown(): Promise<void> {
  if (process.env.SLIPWAY_TEST_UNIT_ONLY === "1") return;
  const engine = new DockerEngine();
  const leaked = await engine.listResources([`${LABEL.owner}`]);
  // Resources of a live process belong to someone else's run (another suite, a demo); by
  // teardown this suite's workers have exited, so whatever it leaked has a dead owner.
  // The store suite's PostgreSQL (test/helpers/postgres.ts) is reused across runs on purpose.
  const mine = leaked.filter(
    (r) => r.labels[LABEL.owner]?.startsWith("slipway-test") && !r.labels[PG_SERVICE_LABEL] && !isOwnerAlive(r.labels),
  );
  if (mine.length > 0) {
    for (const r of mine) await engine.removeResource(r).catch(() => {});
    throw new Error(`tests leaked ${mine.length} resource(s): ${mine.map((r) => `${r.kind} ${r.name}`).join(", ")}`);
  }
}
