import { createHash } from "node:crypto";
import { type Engine, LABEL } from "../engine/index.js";
import type { BlueGreenDef } from "../pipelines/index.js";
import type { Colour } from "./blue-green-plan.js";
import { DeployError } from "./errors.js";
import { sleep } from "./health.js";
import {
  activeInMap,
  ensureProxyImage,
  PROXY_CONTAINER_PORT,
  PROXY_MAP,
  PROXY_SOCKET,
  proxyImageRef,
  upServers,
} from "./proxy-image.js";

/** Where the proxy of one blue-green environment lives and what it is labelled with. */
export interface ProxyTarget {
  /** The environment's base compose project; colours are `<project>-blue` / `<project>-green`. */
  project: string;
  /** `<repository>/<environment>`. */
  environment: string;
  config: BlueGreenDef;
  /** Who creates it (the runner id): `io.slipway.owner`; gc keeps it since its role is environment. */
  owner: string;
}

export interface ProxyInfo {
  id?: string;
  /** It runs and was created with the current image and settings. */
  current: boolean;
  active?: Colour;
}

/** Name of the network both colours' entry service join (alias `slipway-<colour>`) and the proxy sits on. */
export function proxyNetworkName(project: string): string {
  return `${project}-proxy`;
}

export function colourAlias(colour: Colour): string {
  return `slipway-${colour}`;
}

/**
 * The HAProxy container in front of a blue-green environment. Everything it does to traffic
 * goes through HAProxy's runtime API over `docker exec` (nothing is published but the
 * environment's port), so it works wherever the runner can reach the Docker engine.
 */
export class ColourProxy {
  constructor(
    private readonly engine: Engine,
    readonly target: ProxyTarget,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private labels(): Record<string, string> {
    return {
      [LABEL.owner]: this.target.owner,
      [LABEL.role]: "environment",
      [LABEL.environment]: this.target.environment,
      [LABEL.proxy]: this.target.project,
    };
  }

  private configHash(): string {
    const { publish, port } = this.target.config;
    return createHash("sha256")
      .update(JSON.stringify([proxyImageRef(), publish.hostIp, publish.hostPort, port]))
      .digest("hex")
      .slice(0, 16);
  }

  private async find(kind: "container" | "network") {
    const list = await this.engine.listResources([`${LABEL.proxy}=${this.target.project}`]);
    return list.filter((r) => r.kind === kind);
  }

  /** What runs now: the container, whether it is current, and the colour it serves. */
  async inspect(): Promise<ProxyInfo> {
    const [container] = await this.find("container");
    if (!container) return { current: false };
    const state = await this.engine.inspectContainer(container.id).catch(() => undefined);
    if (!state?.running) return { id: container.id, current: false };
    const active = await this.active(container.id).catch(() => undefined);
    return {
      id: container.id,
      current: container.labels[LABEL.proxyConfig] === this.configHash(),
      ...(active ? { active } : {}),
    };
  }

  /**
   * Creates the network and the proxy (replacing one created with other settings or an older
   * image), starting it on `active` so traffic stays where it was. Resolves with its id once
   * its runtime API answers.
   */
  async ensure(active: Colour | undefined): Promise<string> {
    const image = await ensureProxyImage(this.engine, this.log);
    const network = await this.ensureNetwork();
    for (const old of await this.find("container")) {
      this.log(`replacing the proxy ${old.name} (created with other settings)`);
      await this.engine.removeContainer(old.id);
    }
    const { publish, port } = this.target.config;
    const id = await this.engine.createContainer({
      image,
      name: `${this.target.project}-proxy`,
      labels: { ...this.labels(), [LABEL.proxyConfig]: this.configHash() },
      env: { SLIPWAY_TARGET_PORT: String(port), SLIPWAY_INITIAL_COLOUR: active ?? "blue" },
      network,
      publish: {
        [`${PROXY_CONTAINER_PORT}/tcp`]: {
          hostIp: publish.hostIp,
          hostPort: publish.hostPort === 0 ? "" : String(publish.hostPort),
        },
      },
      init: true,
      restart: "unless-stopped",
    });
    await this.engine.startContainer(id);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const probe = await this.api(id, "show info").catch((err: Error) => ({
        exitCode: 1,
        stdout: "",
        stderr: err.message,
      }));
      if (probe.exitCode === 0) break;
      if (Date.now() > deadline) throw proxyError(`the proxy did not start: ${probe.stderr || probe.stdout}`);
      await sleep(200);
    }
    this.log(`proxy ${this.target.project}-proxy up on ${publish.hostIp}:${publish.hostPort || "(engine-chosen)"}`);
    return id;
  }

  /**
   * Creates the network both colours' entry service join, if it does not exist yet; resolves
   * with its name. Compose refuses to run anything in a colour while its external network is
   * missing (a deploy hook before the first deployment, too).
   */
  async ensureNetwork(): Promise<string> {
    const network = proxyNetworkName(this.target.project);
    if ((await this.find("network")).length === 0) await this.engine.createNetwork(network, this.labels());
    return network;
  }

  async active(id: string): Promise<Colour | undefined> {
    const res = await this.api(id, `show map ${PROXY_MAP}`);
    if (res.exitCode !== 0) throw proxyError(`show map failed: ${res.stderr || res.stdout}`);
    return activeInMap(res.stdout);
  }

  /**
   * Waits until the colour's backend has a server UP (HAProxy resolved its replicas through
   * DNS and its own check passed): switching to a backend with none would answer 503.
   */
  async waitServing(id: string, colour: Colour, timeoutMs = 30_000, signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const res = await this.api(id, "show stat");
      const up = res.exitCode === 0 ? (upServers(res.stdout)[colour] ?? 0) : 0;
      if (up > 0) return up;
      if (Date.now() > deadline) {
        throw proxyError(
          `the proxy saw no ${colour} server up within ${timeoutMs / 1000}s; traffic stays where it was`,
        );
      }
      await sleep(200, signal);
    }
  }

  /**
   * Points new requests at `colour` (one atomic map update), then persists it for a restart.
   * Resolves with the milliseconds the `set map` call took (a `docker exec` round trip).
   */
  async switchTo(id: string, colour: Colour): Promise<number> {
    const started = Date.now();
    const set = await this.api(id, `set map ${PROXY_MAP} active ${colour}`);
    const ms = Date.now() - started;
    if (set.exitCode !== 0 || set.stdout.trim() !== "") {
      throw proxyError(`the proxy refused the switch to ${colour}: ${set.stderr || set.stdout}`);
    }
    const persist = await this.engine.execInContainer(id, [
      "sh",
      "-c",
      `printf 'active %s\\n' "$1" > ${PROXY_MAP}.new && mv ${PROXY_MAP}.new ${PROXY_MAP}`,
      "sh",
      colour,
    ]);
    if (persist.exitCode !== 0) throw proxyError(`switched to ${colour}, but could not persist it: ${persist.stderr}`);
    const now = await this.active(id);
    if (now !== colour) throw proxyError(`the proxy reports ${now ?? "no colour"} after the switch to ${colour}`);
    return ms;
  }

  /** Removes the proxy container and its network (the colours' stacks are the caller's). */
  async remove(): Promise<void> {
    for (const c of await this.find("container")) await this.engine.removeContainer(c.id);
    for (const n of await this.find("network")) await this.engine.removeResource(n);
  }

  private api(id: string, command: string) {
    return this.engine.execInContainer(
      id,
      ["sh", "-c", `echo "$1" | socat -t 2 stdio unix-connect:${PROXY_SOCKET}`, "sh", command],
      { timeoutMs: 10_000 },
    );
  }
}

function proxyError(message: string): DeployError {
  return new DeployError("SLIPWAY_E_DEPLOY_PROXY", message);
}
