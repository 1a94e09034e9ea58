import { existsSync } from "node:fs";
import { Agent, type AgentOptions, globalAgent, request } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";

// The engine's local socket as dockerode reaches it, for DockerEngine: the agent its requests
// go through there, and the first ping, sent before dockerode is loaded.

/**
 * The daemon's socket when dockerode would reach it over a local socket: $DOCKER_HOST unset or
 * `unix://`, then the same default as docker-modem's (`~/.docker/run/docker.sock` when it can
 * be opened, else `/var/run/docker.sock`). Undefined for tcp, ssh and named pipes.
 */
export function localSocketPath(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host !== undefined && host !== "" && !host.startsWith("unix://")) return undefined;
  if (host?.startsWith("unix://") && host.length > "unix://".length) return host.slice("unix://".length);
  if (process.platform === "win32") return undefined;
  // docker-modem asks fs.access (existence); existsSync asks the same without making an error.
  const user = join(homedir(), ".docker", "run", "docker.sock");
  return existsSync(user) ? user : "/var/run/docker.sock";
}

let sharedSocketAgent: Agent | undefined;

class SocketAgent extends Agent {
  // docker-modem formats every request's options with util.inspect (depth: null, hidden
  // properties), whether or not $DEBUG asks for them: an agent among them is walked whole, its
  // sockets and their streams included (~45 ms of CPU per run). This is all it needs to print.
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return "Agent(local socket)";
  }
}

/**
 * The agent of requests over the local socket: Node's global agent's settings (keep-alive,
 * as dockerode has by default), and an empty TLS server name. For any other value, Node works
 * out a server name for each request, which calls `net.isIP` on the host; its first calls
 * compile the IPv6 pattern, 10-15 ms of CPU on a small machine, on every `slipway run`'s
 * critical path, for a name that a plain-http connection to a socket never uses.
 */
export function socketAgent(): Agent {
  if (sharedSocketAgent === undefined) {
    // The global agent's options are not in Node's types; they are set at run time.
    const global = (globalAgent as Agent & { options?: AgentOptions }).options ?? { keepAlive: true };
    sharedSocketAgent = new SocketAgent({ ...global, servername: "" } as AgentOptions);
  }
  return sharedSocketAgent;
}

/**
 * `GET /_ping` over a unix socket. `whileWaiting` runs once the request has been handed to the
 * socket, so its synchronous work (making the dockerode client) overlaps the daemon's answer.
 */
export function pingSocket(socketPath: string, whileWaiting: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: "/_ping", agent: socketAgent() }, (res) => {
      res.resume();
      res.once("error", reject);
      res.once("end", () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`/_ping answered HTTP ${res.statusCode}`)),
      );
    });
    req.once("error", reject);
    req.once("finish", () => {
      try {
        whileWaiting();
      } catch (err) {
        req.destroy();
        reject(err);
      }
    });
    req.end();
  });
}
