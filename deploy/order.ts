import { DeployError } from "./errors.js";

/**
 * Services in `depends_on` order: a service comes after everything it depends on; among
 * services free at the same time, the order of the compose file is kept (stable, so plans and
 * logs read the same on every run). Dependencies on services not in the list are ignored.
 */
export function dependencyOrder(services: { name: string; dependsOn: string[] }[]): string[] {
  const names = new Set(services.map((s) => s.name));
  const pending = new Map(services.map((s) => [s.name, s.dependsOn.filter((d) => names.has(d) && d !== s.name)]));
  const done: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending.entries()].find(([, deps]) => deps.every((d) => done.includes(d)));
    if (!ready) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_DEPENDENCY_CYCLE",
        `depends_on forms a cycle between ${[...pending.keys()].join(", ")}`,
      );
    }
    done.push(ready[0]);
    pending.delete(ready[0]);
  }
  return done;
}
