import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "./fixture-repo.js";

const exec = promisify(execFile);

/** `docker ...` with its stdout, trimmed; a failure carries stderr. */
export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await exec("docker", args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(" ")}: ${e.stderr?.trim() || e.message}`);
  }
}

/**
 * Builds the self-hosted image exactly as `.ci/run` does (`image/build.sh`: the host's extra
 * CAs into certs/, then a plain `docker build`), reusing the engine's layer cache, and returns
 * the image id (a tag can be moved by a concurrent build from another checkout).
 */
export async function buildSelfHostedImage(tag = process.env.SLIPWAY_TEST_IMAGE ?? "slipway"): Promise<string> {
  const log: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn("bash", ["image/build.sh", tag], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (c: Buffer) => log.push(c.toString()));
    child.stderr.on("data", (c: Buffer) => log.push(c.toString()));
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`image/build.sh ${tag} failed (${code}):\n${log.join("").slice(-4000)}`);
  return docker("image", "inspect", "--format", "{{.Id}}", tag);
}
