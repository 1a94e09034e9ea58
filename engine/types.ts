/**
 * The Docker engine, as Slipway uses it. One implementation (`docker-engine.ts`) talks to
 * the daemon through dockerode and keeps its client private; everything else in Slipway,
 * tests and benches included, goes through this interface.
 *
 * Call order for a run's steps (as `builders/step.ts` and `builders/workspace.ts` make it;
 * compose shards and probes run their one-off containers the same way):
 *   once:     ensureImage → createVolume (the workspace) → the checkout goes in with
 *             copyToContainer through the first build step's container, created and not yet
 *             started (a compose stage without one: a createContainer never started, then
 *             removeContainer)
 *   per step: createNetwork? → createContainer → attachOutput (before the start, so no line
 *             is missed) → startContainer → waitContainer → the attached output's `done`
 *             → copyFromContainer (artifacts, from the stopped container) → removeContainer
 *             (→ removeNetwork)
 * `streamLogs` reads a container's log after the fact (a container Slipway did not attach
 * to). Cancelling: stopContainer(grace) while waitContainer is pending; waitContainer then
 * resolves and removeContainer follows as usual. Builds, pulls and pushes take an
 * AbortSignal (cancel or stage timeout): the request to the daemon is closed, the daemon
 * stops the work, and the call rejects at once with SLIPWAY_E_ENGINE_ABORTED. Every resource created through
 * this interface carries the `io.slipway.*` labels from `labels.ts`, so `gc` can find it
 * even after the runner was killed.
 */
export interface Engine {
  /** Throws SLIPWAY_E_ENGINE_UNREACHABLE when the daemon does not answer. */
  ping(): Promise<void>;

  /** Id of a local image, or undefined when it is not present. Never pulls. */
  imageId(ref: string): Promise<string | undefined>;
  /** Makes `ref` present locally: pulls only when it is missing (never forces a pull). */
  ensureImage(ref: string, onLine?: (line: string) => void, signal?: AbortSignal): Promise<string>;
  /** Builds an image from a directory; the context honours `.dockerignore`. Returns the image id. */
  buildImage(spec: BuildSpec): Promise<string>;
  tagImage(imageId: string, ref: string): Promise<void>;
  /**
   * Pushes `repo:tag` to its registry and returns the manifest digest. Credentials go to the
   * daemon in the X-Registry-Auth header only; they never appear in the progress lines.
   */
  pushImage(
    ref: string,
    auth?: RegistryAuth,
    onLine?: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<{ digest?: string }>;
  removeImage(ref: string): Promise<void>;

  /** Creates a named volume; Slipway passes its labels so `gc` can find it. */
  createVolume(name: string, labels: Record<string, string>): Promise<string>;
  createNetwork(name: string, labels: Record<string, string>): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Creates (does not start) a container with another one's configuration, host config and
   * networks (with their aliases), under a new name and with `labels` added or replaced. A
   * rolling batch adds replicas this way once compose made the first container of the new
   * version: the same container compose would make, without a compose start-up per batch.
   */
  createLike(templateId: string, name: string, labels: Record<string, string>): Promise<string>;
  startContainer(id: string): Promise<void>;
  /**
   * Attaches to a created container's output before it starts (no line can be missed) and
   * reads it from the container's pipe, which is several times faster than following the
   * log file for chatty steps. Resolves once attached; `done` resolves when the output ends.
   */
  attachOutput(
    id: string,
    onLine: (line: string, stream: "stdout" | "stderr") => void,
  ): Promise<{ done: Promise<void> }>;
  /** Streams stdout+stderr line by line from the log (works on a running or stopped container) until it stops. */
  streamLogs(id: string, onLine: (line: string, stream: "stdout" | "stderr") => void): Promise<void>;
  /** Resolves with the exit code once the container has stopped. */
  waitContainer(id: string): Promise<number>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. A container already stopped is fine. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Forced removal with its anonymous volumes; a container already gone is fine. */
  removeContainer(id: string): Promise<void>;
  /** Copies a path out of a container (stopped or running) as a tar stream. */
  copyFromContainer(id: string, path: string): Promise<NodeJS.ReadableStream>;
  /** Copies a tar stream into a directory of a container. */
  copyToContainer(id: string, dir: string, tar: NodeJS.ReadableStream | Buffer): Promise<void>;
  inspectContainer(id: string): Promise<ContainerState>;
  /**
   * Runs a command in a running container (`docker exec`) and resolves with its exit code and
   * output once it ends; the output is capped (the tail is kept). Used to steer long-running
   * containers (a proxy's runtime API, a smoke test) without publishing anything.
   */
  execInContainer(
    id: string,
    cmd: string[],
    opts?: { env?: Record<string, string>; timeoutMs?: number },
  ): Promise<ExecResult>;
  /**
   * Detaches a container from a network and attaches it again with exactly the given aliases.
   * Without the compose service name, that name stops resolving to it, so a load balancer
   * following DNS takes it out of rotation while it can still reach the rest of the stack;
   * with the name again, it is back in rotation. The container gets a new address on the
   * network.
   */
  reattachWithAliases(network: string, id: string, aliases: string[]): Promise<void>;

  /** Everything carrying all of the given labels (`key=value`, or `key` alone for presence). */
  listResources(labelFilters: string[]): Promise<LabelledResource[]>;
  removeResource(resource: LabelledResource): Promise<void>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RegistryAuth {
  username: string;
  password: string;
  /** Registry host, e.g. `127.0.0.1:5000`. */
  serveraddress: string;
}

export interface BuildSpec {
  /** Directory sent as build context. */
  context: string;
  /** Dockerfile path relative to the context (default `Dockerfile`). */
  dockerfile?: string;
  tags: string[];
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  onLine?: (line: string) => void;
  /** Cancel or stage timeout: closes the build request, which stops the daemon's build. */
  signal?: AbortSignal;
}

export interface ContainerSpec {
  image: string;
  name?: string;
  /** Argv; for step scripts `["/bin/sh", "-e", "-c", script]`. */
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Bind mounts `host-path-or-volume-name:container-path[:ro]`. */
  binds?: string[];
  labels: Record<string, string>;
  network?: string;
  networkAliases?: string[];
  /** Container port → host binding; Slipway always binds 127.0.0.1. */
  publish?: Record<string, { hostIp: string; hostPort: string }>;
  user?: string;
  tty?: boolean;
  init?: boolean;
  /** Restart policy; long-running environment containers come back after a daemon restart. */
  restart?: "no" | "unless-stopped";
}

export interface ContainerState {
  id: string;
  running: boolean;
  exitCode: number;
  health?: "starting" | "healthy" | "unhealthy" | "none";
  /** The last healthcheck probes (`State.Health.Log`, oldest first): `exit <code>: <output>`. */
  healthLog?: string[];
  labels: Record<string, string>;
  /** Container name without the leading `/`. */
  name?: string;
  image?: string;
  /** Networks the container is attached to, with its DNS aliases on each. */
  networks?: Record<string, { aliases: string[] }>;
}

export interface LabelledResource {
  kind: "container" | "network" | "volume";
  id: string;
  name: string;
  labels: Record<string, string>;
}
