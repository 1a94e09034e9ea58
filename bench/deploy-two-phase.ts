/**
 * The two-phase finish on the deploy fixture (a 3-replica busybox-httpd app behind HAProxy,
 * parallelism 1, delay 1s, start-first, monitor 2s, drain 1s; rollback_config monitor 1s),
 * under the integration tests' load generator (2 loops on 127.0.0.1, no pause):
 *  1. `rollback` of an upgrade v1 → v2 awaiting confirmation (`confirm_upgrade: true`: the kept
 *     v1 containers start again, the v2 ones leave) against `rollback` of the same upgrade
 *     without it (compose recreates v1 replicas batch by batch with rollback_config): wall time
 *     of the call, and requests failed meanwhile;
 *  2. the upgrade itself with and without confirm_upgrade (the kept containers run on out of
 *     rotation until the service's last batch, then stop).
 *
 *   node bin/run-ts.js bench/deploy-two-phase.ts [rounds]
 */
import { deployVersion, rollbackEnvironment } from "../deploy/index.js";
import { appImage, startLoad, TestEnvironment } from "../test/integration/deploy/helpers.js";
import { median } from "./lib.js";

const ROUNDS = Number(process.argv[2] ?? 2);
const [v1, v2] = [await appImage("v1"), await appImage("v2")];

async function round(confirmUpgrade: boolean) {
  await using env = await TestEnvironment.create(confirmUpgrade ? { keys: "    confirm_upgrade: true\n" } : {});
  await deployVersion(env.target("v1", v1), env.options());
  let started = performance.now();
  const upgraded = await deployVersion(env.target("v2", v2), env.options());
  const upgradeMs = performance.now() - started;
  const expected = confirmUpgrade ? "awaiting_confirm" : "success";
  if (upgraded.status !== expected) throw new Error(`upgrade ended ${upgraded.status}`);
  const load = await startLoad(await env.lbUrl(), { maxSeconds: 120 });
  started = performance.now();
  const back = await rollbackEnvironment(env.target("v2", v2), env.options());
  const rollbackMs = performance.now() - started;
  const report = await load.stop();
  if (back.status !== "success") throw new Error(`rollback ended ${back.status}`);
  return { upgradeMs, rollbackMs, failed: report.failed, ok: report.ok };
}

const results: Record<string, Awaited<ReturnType<typeof round>>[]> = { kept: [], plain: [] };
for (let i = 0; i < ROUNDS; i++) {
  results.kept?.push(await round(true));
  results.plain?.push(await round(false));
}
for (const [name, list] of Object.entries(results)) {
  const label = name === "kept" ? "confirm_upgrade (restart kept)" : "plain (compose batches)";
  console.log(
    `${label.padEnd(32)} upgrade median ${median(list.map((r) => r.upgradeMs)).toFixed(0)} ms; rollback median ${median(list.map((r) => r.rollbackMs)).toFixed(0)} ms (each: ${list.map((r) => r.rollbackMs.toFixed(0)).join(", ")}); failed requests during rollbacks: ${list.map((r) => `${r.failed}/${r.failed + r.ok}`).join(", ")}`,
  );
}
