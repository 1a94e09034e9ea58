import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngine, type Engine, type LabelledResource } from "../../engine/index.js";
import { DEMO } from "./sample-repo.js";

/** What a demo started that outlives a crash of its process: `--down` reads it. */
export interface DemoState {
  registryPid?: number;
  url?: string;
}

export function stateFile(root: string): string {
  return join(root, "state.json");
}

export function writeState(root: string, state: DemoState): void {
  writeFileSync(stateFile(root), `${JSON.stringify(state, null, 2)}\n`);
}

function readState(root: string): DemoState {
  try {
    return JSON.parse(readFileSync(stateFile(root), "utf8")) as DemoState;
  } catch {
    return {};
  }
}

/** Image references the demo built: its app image (local or registry-tagged) and its builder. */
export function isDemoImage(ref: string): boolean {
  const repo = ref.slice(0, ref.lastIndexOf(":"));
  return repo === DEMO.imageRepo || repo.endsWith(`/${DEMO.imageRepo}`) || repo === `slipway-builder/${DEMO.builder}`;
}

/** `repo:tag` of every local image (the engine API has no image listing in Engine; the CLI does). */
export function localImageRefs(): string[] {
  const out = execFileSync("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
  return out.split("\n").filter((l) => l && !l.includes("<none>"));
}

/** Containers, networks and volumes of the demo: its runner's label, or its environment's compose project. */
export async function demoResources(engine: Engine): Promise<LabelledResource[]> {
  const owned = await engine.listResources([`io.slipway.owner=${DEMO.runnerId}`]);
  const env = await engine.listResources([`com.docker.compose.project=${DEMO.envProject}`]);
  const seen = new Set<string>();
  const all = [...owned, ...env].filter((r) => !seen.has(r.id) && seen.add(r.id));
  const rank = { container: 0, network: 1, volume: 2 } as const;
  return all.sort((a, b) => rank[a.kind] - rank[b.kind]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `slipway demo --down`: the registry process (by the pid the demo recorded, only if it is
 * still a docker-registry), every resource with the demo's labels or project, the demo's
 * images, then the demo directory (sample repository, data dir, registry storage).
 */
export async function demoDown(root: string, log: (line: string) => void, engine: Engine = new DockerEngine()) {
  const state = readState(root);
  const pid = state.registryPid;
  if (pid && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("docker-registry")) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    log(`stopped the demo registry (pid ${pid})`);
  }
  const resources = await demoResources(engine);
  for (const r of resources) await engine.removeResource(r);
  if (resources.length) log(`removed ${resources.length} container(s), network(s) and volume(s)`);
  const images = localImageRefs().filter(isDemoImage);
  for (const ref of images) await engine.removeImage(ref);
  if (images.length) log(`removed ${images.length} image tag(s): ${images.join(", ")}`);
  // The deploy stage keeps the environment's generated label file here (deploy/compose-target.ts).
  rmSync(join(tmpdir(), "slipway-environments", DEMO.envProject), { recursive: true, force: true });
  if (existsSync(root)) {
    rmSync(root, { recursive: true, force: true });
    log(`removed ${root}`);
  }
}
