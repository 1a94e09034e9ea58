import { COMPOSE_LABEL } from "../compose/index.js";
import type { Engine } from "../engine/index.js";

const CONFIG_HASH = "com.docker.compose.config-hash";
const NUMBER = "com.docker.compose.container-number";

/**
 * Adds `count` replicas of a service as copies of a running, ready container of the same
 * config hash (one an earlier batch of this rollout made through compose). Resolves with the
 * new, started containers' ids, or `undefined` when no such container exists: the caller
 * then runs compose. Each copy gets the next container number and the name compose would
 * give it (`<project>_<service>_<n>` on v1, `-` separated on v2, read off the template), so
 * compose later treats it as one of its own: same labels, same config hash, same aliases.
 * Why: on compose v1 every `up` is a Python start-up plus a scan of the project, about half
 * a second per batch on a quiet machine and several under load; a copy is two API calls.
 */
export async function addReplicasLike(
  engine: Engine,
  project: string,
  service: string,
  hash: string,
  count: number,
): Promise<string[] | undefined> {
  if (!hash || count <= 0) return undefined;
  const resources = (
    await engine.listResources([`${COMPOSE_LABEL.project}=${project}`, `${COMPOSE_LABEL.service}=${service}`])
  ).filter((r) => r.kind === "container" && r.labels[COMPOSE_LABEL.oneoff] !== "True");
  let template: { id: string; name: string } | undefined;
  for (const r of resources) {
    if (r.labels[CONFIG_HASH] !== hash || !/[_-]\d+$/.test(r.name)) continue;
    const c = await engine.inspectContainer(r.id).catch(() => undefined);
    if (c?.running && (c.health === "healthy" || c.health === "none")) {
      template = { id: r.id, name: c.name ?? r.name };
      break;
    }
  }
  if (!template) return undefined;
  const highest = Math.max(0, ...resources.map((r) => Number(r.labels[NUMBER] ?? 0)));
  const ids: string[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const number = highest + i;
      const name = template.name.replace(/([_-])\d+$/, `$1${number}`);
      ids.push(await engine.createLike(template.id, name, { [NUMBER]: String(number) }));
    }
    await Promise.all(ids.map((id) => engine.startContainer(id)));
  } catch (err) {
    // Nothing half-made stays behind: the caller counts no new replica.
    await Promise.all(ids.map((id) => engine.removeContainer(id).catch(() => undefined)));
    throw err;
  }
  return ids;
}
