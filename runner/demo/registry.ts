import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RunnerError } from "../errors.js";

export interface DemoRegistry {
  host: string;
  pid: number;
  stop(): Promise<void>;
}

function installed(binary: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * Debian's `docker-registry` on 127.0.0.1 (the engine allows plain HTTP to loopback
 * registries), storage under `dir`; undefined when the binary is not installed. No auth: it
 * listens on loopback only and lives as long as the demo.
 */
export async function startDemoRegistry(dir: string): Promise<DemoRegistry | undefined> {
  if (!installed("docker-registry")) return undefined;
  mkdirSync(dir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${join(dir, "data")} } }\nhttp: { addr: "${host}" }\n`,
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  for (let i = 0; ; i++) {
    if (i === 100) {
      child.kill("SIGTERM");
      throw new RunnerError("SLIPWAY_E_DEMO", `docker-registry did not answer on ${host} within 10s`);
    }
    const status = await fetch(`http://${host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null)
      throw new RunnerError("SLIPWAY_E_DEMO", `docker-registry exited with ${child.exitCode}`);
    await sleep(100);
  }
  return {
    host,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
