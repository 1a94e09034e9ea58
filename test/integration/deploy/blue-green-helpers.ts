import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPOSE_LABEL, detectCompose, runCompose } from "../../../compose/index.js";
import { ColourProxy, type EnvironmentTarget, type ExecutorOptions } from "../../../deploy/index.js";
import { LABEL } from "../../../engine/index.js";
import { parsePipeline } from "../../../pipelines/index.js";
import { openStore, type Store } from "../../../store/index.js";
import { engine, FIXTURES } from "./helpers.js";

const PIPELINE = (blueGreen: string, hooks: string) => `name: shop
environments:
  production:
    compose: blue-green.yml
    strategy: blue-green
    update: { drain: 1s }
    blue_green: { service: app, port: 8080, publish: "127.0.0.1:0"${blueGreen} }
${hooks}stages:
  - { name: deploy, deploy: production }
`;

/** A fresh blue-green environment: its own repository name (labels), compose projects and SQLite store. */
export class BlueGreenEnvironment implements AsyncDisposable {
  readonly lines: string[] = [];
  private constructor(
    readonly dir: string,
    readonly repository: string,
    readonly project: string,
    readonly store: Store,
    private readonly blueGreen: string,
    private readonly hooks: string,
  ) {}

  /**
   * `blueGreen`: extra keys of `blue_green:` (", smoke: ..., scale_down_after: 1s"); `hooks`:
   * the environment's `hooks:` section, indented as a key of it; `compose`: the compose file's
   * text instead of the fixture's.
   */
  static async create(
    opts: { blueGreen?: string; hooks?: string; compose?: string } = {},
  ): Promise<BlueGreenEnvironment> {
    const dir = await mkdtemp(join(tmpdir(), "slipway-bg-"));
    if (opts.compose) await writeFile(join(dir, "blue-green.yml"), opts.compose);
    else await cp(join(FIXTURES, "blue-green.yml"), join(dir, "blue-green.yml"));
    const id = Math.random().toString(36).slice(2, 8);
    const store = await openStore(undefined, { dataDir: dir });
    const project = `slipway-bg-test-${id}`;
    return new BlueGreenEnvironment(dir, `shop-${id}`, project, store, opts.blueGreen ?? "", opts.hooks ?? "");
  }

  get key() {
    return { repository: this.repository, environment: "production" };
  }

  /** `extra`: more interpolation variables of the version, besides `IMAGE`. */
  target(version: string, image: string, extra: Record<string, string> = {}): EnvironmentTarget {
    const parsed = parsePipeline(PIPELINE(this.blueGreen, this.hooks), "slipway.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const environment = parsed.pipeline.environments.production;
    if (!environment) throw new Error("no environment");
    return {
      repository: this.repository,
      environment,
      project: this.project,
      composeFile: join(this.dir, "blue-green.yml"),
      version,
      variables: { IMAGE: image, ...extra },
    };
  }

  options(extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
    return {
      engine,
      records: this.store.deployments,
      holder: "test-runner",
      log: (l) => this.lines.push(`${new Date().toISOString().slice(11, 23)} ${l}`),
      ...extra,
    };
  }

  private proxy(): ColourProxy {
    const config = this.target("v0", "x").environment.blueGreen;
    if (!config) throw new Error("no blue_green");
    return new ColourProxy(engine, {
      project: this.project,
      environment: `${this.repository}/production`,
      config,
      owner: "test-runner",
    });
  }

  /** The proxy's URL on 127.0.0.1 (the engine chose the port). */
  async url(): Promise<string> {
    const [proxy] = (await engine.listResources([`${LABEL.proxy}=${this.project}`])).filter(
      (r) => r.kind === "container",
    );
    if (!proxy) throw new Error("no proxy container");
    const { default: Docker } = await import("dockerode");
    const info = await new Docker().getContainer(proxy.id).inspect();
    const port = info.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostPort;
    if (!port) throw new Error("the proxy publishes no port");
    return `http://127.0.0.1:${port}`;
  }

  async activeColour(): Promise<string | undefined> {
    const info = await this.proxy().inspect();
    return info.active;
  }

  /** Images of the running app containers of one colour. */
  async colourImages(colour: "blue" | "green"): Promise<string[]> {
    const list = await engine.listResources([
      `${COMPOSE_LABEL.project}=${this.project}-${colour}`,
      `${COMPOSE_LABEL.service}=app`,
    ]);
    const out: string[] = [];
    for (const r of list) {
      const c = await engine.inspectContainer(r.id).catch(() => undefined);
      if (c?.running) out.push(c.image ?? "");
    }
    return out.sort();
  }

  /** Everything labelled as this environment's (containers, networks, volumes), as a leak check sees it. */
  async labelled(): Promise<string[]> {
    const list = await engine.listResources([`${LABEL.environment}=${this.repository}/production`]);
    return list.map((r) => `${r.kind} ${r.name}`).sort();
  }

  /** What compose created for a colour, whether Slipway labelled it or not. */
  async composeResources(colour: "blue" | "green"): Promise<string[]> {
    const list = await engine.listResources([`${COMPOSE_LABEL.project}=${this.project}-${colour}`]);
    return list.map((r) => `${r.kind} ${r.name}`).sort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const cli = await detectCompose();
    for (const colour of ["blue", "green"]) {
      await runCompose(
        cli,
        { project: `${this.project}-${colour}`, files: [join(this.dir, "blue-green.yml")], projectDirectory: this.dir },
        { kind: "down", stopTimeoutSeconds: 1 },
        { env: { IMAGE: "busybox:latest" } },
      );
    }
    await this.proxy().remove();
    await this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
