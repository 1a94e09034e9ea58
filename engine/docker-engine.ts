// Before dockerode: keeps its ssh and BuildKit transports from loading until used.
import type Docker from "dockerode";
import { packBuildContext } from "./build-context.js";
import { loadDockerode } from "./deferred-transports.js";
import { pumpLines } from "./demux.js";
import { EngineError, isGone } from "./errors.js";
import { splitLines } from "./lines.js";
import { localSocketPath, pingSocket, socketAgent } from "./local-socket.js";
import { abortedError, followProgress, throwIfAborted } from "./progress.js";
import type {
  BuildSpec,
  ContainerSpec,
  ContainerState,
  Engine,
  ExecResult,
  LabelledResource,
  RegistryAuth,
} from "./types.js";

/**
 * The only file that talks to the Docker daemon (with local-socket.ts, which carries the first
 * ping over a local socket before dockerode is loaded). Its dockerode client stays private: every
 * caller, tests and benches included, goes through the `Engine` interface, so a fake engine
 * or another backend can stand in anywhere. Tests that must look at the daemon from outside
 * keep a client of their own (`test/helpers/docker.ts`).
 */
export class DockerEngine implements Engine {
  #client: Docker | undefined;

  /** `docker` picks another daemon than dockerode's default (DOCKER_HOST, else the local socket). */
  constructor(docker?: Docker) {
    this.#client = docker;
  }

  /**
   * The client, made on the first call (for `slipway run`: while the daemon answers the
   * ping): loading dockerode is 10-40 ms of CPU, which a verb that never reaches the engine
   * does not pay.
   */
  get #docker(): Docker {
    if (this.#client === undefined) {
      const Dockerode = loadDockerode();
      // dockerode's modem passes `agent` to every request (its DockerOptions type omits it).
      const options = localSocketPath() === undefined ? {} : ({ agent: socketAgent() } as Docker.DockerOptions);
      this.#client = new Dockerode(options);
    }
    return this.#client;
  }

  /**
   * Asks the daemon for `/_ping`. On a local socket with no client made yet (the first call of
   * `slipway run`, `gc`, `serve`), the request goes out through node:http, and dockerode loads
   * while the daemon answers instead of before the request is sent: loading it is 30-60 ms of
   * CPU on a small machine, the answer ~25 ms of waiting, and the rest of the run needs both.
   */
  async ping(): Promise<void> {
    const socketPath = this.#client === undefined ? localSocketPath() : undefined;
    try {
      if (socketPath === undefined) await this.#docker.ping();
      else await pingSocket(socketPath, () => this.#docker);
    } catch (err) {
      const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
      throw new EngineError(
        "SLIPWAY_E_ENGINE_UNREACHABLE",
        `Docker engine not reachable at ${where}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.#docker.getImage(ref).inspect()).Id;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  async ensureImage(ref: string, onLine?: (line: string) => void, signal?: AbortSignal): Promise<string> {
    const present = await this.imageId(ref);
    if (present) return present;
    throwIfAborted(`pull of ${ref}`, signal);
    try {
      const stream = await this.#docker.pull(ref, { abortSignal: signal });
      await followProgress<{ status?: string; id?: string }>(
        this.#docker.modem,
        stream,
        (event) => onLine?.(`${event.id ? `${event.id}: ` : ""}${event.status ?? ""}`),
        `pull of ${ref}`,
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw abortedError(`pull of ${ref}`, signal);
      throw new EngineError(
        "SLIPWAY_E_ENGINE_PULL_FAILED",
        `image ${ref} is not present locally and could not be pulled: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const pulled = await this.imageId(ref);
    if (!pulled) throw new EngineError("SLIPWAY_E_ENGINE_PULL_FAILED", `image ${ref} still missing after pull`);
    return pulled;
  }

  async buildImage(spec: BuildSpec): Promise<string> {
    const dockerfile = spec.dockerfile ?? "Dockerfile";
    const what = `docker build of ${spec.context} (${dockerfile})`;
    throwIfAborted(what, spec.signal);
    const context = await packBuildContext(spec.context, { dockerfile });
    const stream = await this.#docker
      .buildImage(context, {
        t: spec.tags[0],
        dockerfile,
        labels: spec.labels ?? {},
        buildargs: spec.buildArgs ?? {},
        rm: true,
        forcerm: true,
        abortSignal: spec.signal,
      })
      .catch((err: Error) => {
        throw spec.signal?.aborted ? abortedError(what, spec.signal) : err;
      });
    let imageId: string | undefined;
    const tail: string[] = [];
    const emit = splitLines((line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      spec.onLine?.(line);
    });
    await followProgress<{ stream?: string; error?: string; aux?: { ID?: string } }>(
      this.#docker.modem,
      stream,
      (event) => {
        if (event.stream) emit.push(event.stream);
        if (event.aux?.ID) imageId = event.aux.ID;
        if (event.error) emit.push(`${event.error}\n`);
      },
      what,
      spec.signal,
    ).catch((err: Error) => {
      emit.end();
      if (spec.signal?.aborted) throw abortedError(what, spec.signal);
      throw new EngineError("SLIPWAY_E_ENGINE_BUILD_FAILED", `${what} failed: ${err.message}\n${tail.join("\n")}`, {
        cause: err,
      });
    });
    emit.end();
    // The legacy builder reports the id only as "Successfully built <id>".
    imageId ??= await this.imageId(spec.tags[0] ?? "");
    if (!imageId)
      throw new EngineError("SLIPWAY_E_ENGINE_BUILD_FAILED", `docker build produced no image\n${tail.join("\n")}`);
    for (const tag of spec.tags.slice(1)) await this.tagImage(imageId, tag);
    return imageId;
  }

  async tagImage(imageId: string, ref: string): Promise<void> {
    const { repo, tag } = splitRef(ref);
    await this.#docker.getImage(imageId).tag({ repo, tag });
  }

  async pushImage(
    ref: string,
    auth?: RegistryAuth,
    onLine?: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<{ digest?: string }> {
    const { repo, tag } = splitRef(ref);
    const what = `push of ${repo}:${tag}`;
    throwIfAborted(what, signal);
    let digest: string | undefined;
    let failure: string | undefined;
    try {
      // An empty auth object still sends X-Registry-Auth, which registries without auth accept.
      const options = { tag, authconfig: auth ?? {}, abortSignal: signal } as Docker.ImagePushOptions;
      const stream = (await this.#docker.getImage(repo).push(options)) as NodeJS.ReadableStream;
      await followProgress<{ status?: string; id?: string; error?: string; aux?: { Digest?: string } }>(
        this.#docker.modem,
        stream,
        (event) => {
          if (event.aux?.Digest) digest = event.aux.Digest;
          if (event.error) failure = event.error;
          else if (event.status && !event.status.startsWith("Pushing")) {
            onLine?.(`${event.id ? `${event.id}: ` : ""}${event.status}`);
          }
        },
        what,
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw abortedError(what, signal);
      failure = (err as Error).message;
    }
    if (failure) {
      throw new EngineError("SLIPWAY_E_ENGINE_PUSH_FAILED", `${what} failed: ${failure}`);
    }
    return { digest };
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.#docker.getImage(ref).remove({ force: true });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    const net = await this.#docker.createNetwork({ Name: name, Labels: labels, CheckDuplicate: true });
    return net.id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    try {
      await this.#docker.getNetwork(idOrName).remove();
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const [port, host] of Object.entries(spec.publish ?? {})) {
      exposed[port] = {};
      bindings[port] = [{ HostIp: host.hostIp, HostPort: host.hostPort }];
    }
    const container = await this.#docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: spec.entrypoint,
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      WorkingDir: spec.workingDir,
      Labels: spec.labels,
      User: spec.user,
      Tty: spec.tty ?? false,
      ExposedPorts: exposed,
      HostConfig: {
        Binds: spec.binds,
        NetworkMode: spec.network,
        PortBindings: bindings,
        Init: spec.init,
        ...(spec.restart ? { RestartPolicy: { Name: spec.restart } } : {}),
      },
      NetworkingConfig: spec.network
        ? { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases } } }
        : undefined,
    });
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.#docker.getContainer(id).start();
  }

  async streamLogs(id: string, onLine: (line: string, stream: "stdout" | "stderr") => void): Promise<void> {
    const raw = (await this.#docker.getContainer(id).logs({
      follow: true,
      stdout: true,
      stderr: true,
    })) as unknown as NodeJS.ReadableStream;
    await pumpLines(raw, onLine);
  }

  async attachOutput(
    id: string,
    onLine: (line: string, stream: "stdout" | "stderr") => void,
  ): Promise<{ done: Promise<void> }> {
    const raw = (await this.#docker.getContainer(id).attach({
      stream: true,
      stdout: true,
      stderr: true,
    })) as unknown as NodeJS.ReadableStream;
    return { done: pumpLines(raw, onLine) };
  }

  async waitContainer(id: string): Promise<number> {
    const result = (await this.#docker.getContainer(id).wait()) as { StatusCode: number };
    return result.StatusCode;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.#docker.getContainer(id).stop({ t: graceSeconds });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      // 409: removal already in progress (a concurrent cleanup got there first).
      if (!isGone(err) && (err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }

  async copyFromContainer(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return (await this.#docker.getContainer(id).getArchive({ path })) as unknown as NodeJS.ReadableStream;
  }

  async copyToContainer(id: string, dir: string, tar: NodeJS.ReadableStream | Buffer): Promise<void> {
    await this.#docker.getContainer(id).putArchive(tar as NodeJS.ReadableStream, { path: dir });
  }

  async inspectContainer(id: string): Promise<ContainerState> {
    const info = await this.#docker.getContainer(id).inspect();
    const health = info.State.Health?.Status as ContainerState["health"] | undefined;
    return {
      id: info.Id,
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      health: health ?? "none",
      healthLog: info.State.Health?.Log?.map((probe) => `exit ${probe.ExitCode}: ${probe.Output.trim()}`),
      labels: info.Config.Labels ?? {},
      name: info.Name.replace(/^\//, ""),
      image: info.Config.Image,
      networks: Object.fromEntries(
        Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, net]) => [
          name,
          { aliases: (net as { Aliases?: string[] | null }).Aliases ?? [] },
        ]),
      ),
    };
  }

  async createLike(templateId: string, name: string, labels: Record<string, string>): Promise<string> {
    const t = await this.#docker.getContainer(templateId).inspect();
    // The template's hostname is its own short id: the copy gets its own (Docker's default).
    const { Hostname: _hostname, ...config } = t.Config;
    const shortId = t.Id.slice(0, 12);
    const endpoints = Object.entries(t.NetworkSettings?.Networks ?? {}).map(([network, ep]) => ({
      network,
      // Docker adds the container's short id as an alias by itself; the template's is not ours.
      config: { Aliases: ((ep as { Aliases?: string[] | null }).Aliases ?? []).filter((a) => a !== shortId) },
    }));
    const [first, ...rest] = endpoints;
    const created = await this.#docker.createContainer({
      ...config,
      name,
      Labels: { ...(config.Labels ?? {}), ...labels },
      HostConfig: t.HostConfig,
      // One network at create time (older engines take no more); the rest are joined before the start.
      ...(first ? { NetworkingConfig: { EndpointsConfig: { [first.network]: first.config } } } : {}),
    });
    try {
      for (const ep of rest) {
        await this.#docker.getNetwork(ep.network).connect({ Container: created.id, EndpointConfig: ep.config });
      }
    } catch (err) {
      await created.remove({ force: true, v: true }).catch(() => undefined);
      throw err;
    }
    return created.id;
  }

  async execInContainer(
    id: string,
    cmd: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const exec = await this.#docker.getContainer(id).exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    });
    const raw = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
    const out = { stdout: [] as string[], stderr: [] as string[] };
    const pump = pumpLines(raw, (line, stream) => {
      const lines = out[stream];
      lines.push(line);
      // A chatty command must not fill the runner's memory: keep the last lines.
      if (lines.length > 2000) lines.shift();
    });
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      if ((await Promise.race([pump, timedOut])) === "timeout") {
        (raw as unknown as { destroy?: () => void }).destroy?.();
        return { exitCode: 124, stdout: out.stdout.join("\n"), stderr: `timed out after ${timeoutMs} ms` };
      }
    } finally {
      clearTimeout(timer);
    }
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: out.stdout.join("\n"), stderr: out.stderr.join("\n") };
  }

  async reattachWithAliases(network: string, id: string, aliases: string[]): Promise<void> {
    const net = this.#docker.getNetwork(network);
    await net.disconnect({ Container: id, Force: true });
    await net.connect({ Container: id, EndpointConfig: { Aliases: aliases } });
  }

  async listResources(labelFilters: string[]): Promise<LabelledResource[]> {
    const filters = JSON.stringify({ label: labelFilters });
    const [containers, networks, volumes] = await Promise.all([
      this.#docker.listContainers({ all: true, filters }),
      this.#docker.listNetworks({ filters }),
      this.#docker.listVolumes({ filters }),
    ]);
    return [
      ...containers.map((c) => ({
        kind: "container" as const,
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
        labels: c.Labels ?? {},
      })),
      ...networks.map((n) => ({ kind: "network" as const, id: n.Id, name: n.Name, labels: n.Labels ?? {} })),
      ...(volumes.Volumes ?? []).map((v) => ({
        kind: "volume" as const,
        id: v.Name,
        name: v.Name,
        labels: v.Labels ?? {},
      })),
    ];
  }

  async removeResource(resource: LabelledResource): Promise<void> {
    try {
      if (resource.kind === "container") await this.removeContainer(resource.id);
      else if (resource.kind === "network") await this.removeNetwork(resource.id);
      else await this.#docker.getVolume(resource.id).remove({ force: true });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  /** Creates a named volume carrying the given labels. */
  async createVolume(name: string, labels: Record<string, string>): Promise<string> {
    await this.#docker.createVolume({ Name: name, Labels: labels });
    return name;
  }
}

/** `registry:5000/a/b:tag` → repo `registry:5000/a/b`, tag `tag` (a port colon is not a tag). */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: "latest" };
}
