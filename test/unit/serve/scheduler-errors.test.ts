import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../config/index.js";
import { LiveBus } from "../../../runner/serve/live-logs.js";
import { Scheduler } from "../../../runner/serve/scheduler.js";
import { openStore } from "../../../store/index.js";

describe("scheduler: failures it survives are logged and counted", () => {
  it("a claim the store refuses is logged and counted, not swallowed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-sched-"));
    const config = loadConfig({ cwd: dir, env: { SLIPWAY_DATA_DIR: dir } });
    // A real SQLite store, closed: every claim now fails the way an outage does.
    const store = await openStore(undefined, { dataDir: dir });
    await store.close();
    const logs: string[] = [];
    const counted: string[] = [];
    const scheduler = new Scheduler(
      // Only the store is reached before the claim fails; nothing else is touched.
      { config, store, bus: new LiveBus() } as unknown as ConstructorParameters<typeof Scheduler>[0],
      1,
      1000,
      { log: (l) => logs.push(l), count: (s) => counted.push(s) },
    );
    scheduler.kick();
    await sleep(50);
    await scheduler.stop();
    expect(counted).toEqual(["claim"]);
    expect(logs[0]).toMatch(/^scheduler: cannot claim a queued run: /);
    rmSync(dir, { recursive: true, force: true });
  });
});
