import { COMPOSE_LABEL } from "../compose/index.js";
import type { Engine } from "../engine/index.js";
import type { ReplicaState, StackState } from "./planner.js";

const CONFIG_HASH = "com.docker.compose.config-hash";
const NUMBER = "com.docker.compose.container-number";

/**
 * The running stack as the planner sees it, read through the engine by compose's labels (v1
 * and v2 name containers differently). A container that stopped or is unhealthy gets an empty
 * hash, so every plan replaces it: a broken replica is never counted as "already current".
 */
export async function readStackState(engine: Engine, project: string): Promise<StackState> {
  const resources = await engine.listResources([`${COMPOSE_LABEL.project}=${project}`]);
  const state: StackState = {};
  // Inspected at once: a deploy reads the stack before every plan, and one by one was a round
  // trip per container.
  const containers = resources.filter(
    (r) => r.kind === "container" && r.labels[COMPOSE_LABEL.oneoff] !== "True" && r.labels[COMPOSE_LABEL.service],
  );
  const inspected = await Promise.all(containers.map((r) => engine.inspectContainer(r.id).catch(() => undefined)));
  containers.forEach((r, i) => {
    const c = inspected[i];
    if (!c) return;
    const service = r.labels[COMPOSE_LABEL.service] as string;
    const broken = !c.running || c.health === "unhealthy";
    const replica: ReplicaState = {
      id: r.id,
      hash: broken ? "" : (r.labels[CONFIG_HASH] ?? ""),
      number: Number(r.labels[NUMBER] ?? 0),
    };
    state[service] = [...(state[service] ?? []), replica];
  });
  for (const list of Object.values(state)) list.sort((a, b) => a.number - b.number);
  return state;
}

/** Ids of a service's containers, running or not. */
export async function serviceContainerIds(engine: Engine, project: string, service: string): Promise<string[]> {
  const resources = await engine.listResources([
    `${COMPOSE_LABEL.project}=${project}`,
    `${COMPOSE_LABEL.service}=${service}`,
  ]);
  return resources.filter((r) => r.kind === "container" && r.labels[COMPOSE_LABEL.oneoff] !== "True").map((r) => r.id);
}
