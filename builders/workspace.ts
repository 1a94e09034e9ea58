import { posix } from "node:path";
import { type Engine, extractArchive, packBuildContext, slipwayLabels } from "../engine/index.js";
import { BuilderError } from "./errors.js";
import { WORKSPACE_PATH } from "./step.js";

/**
 * The run's copy of the source, held in a Docker volume rather than a bind mount: a volume
 * works the same when Slipway itself runs in a container next to the daemon (paths inside
 * Slipway's container mean nothing to the host's daemon). Steps mount it at `/workspace`.
 */
export class Workspace implements AsyncDisposable {
  private seeded = false;

  private constructor(
    private readonly engine: Engine,
    readonly volume: string,
    /** Host checkout the volume was filled from; artifacts are copied back into it for `package`. */
    readonly hostDir: string,
    private readonly labels: Record<string, string>,
  ) {}

  static async create(engine: Engine, opts: { runId: string; owner: string; hostDir: string }): Promise<Workspace> {
    const labels = slipwayLabels({ owner: opts.owner, runId: opts.runId, role: "builder" });
    const volume = `slipway-ws-${opts.runId}`;
    await engine.createVolume(volume, labels);
    return new Workspace(engine, volume, opts.hostDir, labels);
  }

  /**
   * Copies the host checkout into the volume, once, through a created-but-never-started
   * container of `image` (any image the step is about to run anyway, so nothing extra is
   * needed). `.git` is left out: its objects live in the user's repository.
   */
  async seed(image: string): Promise<void> {
    if (this.seeded) return;
    const id = await this.engine.createContainer({
      image,
      cmd: ["true"],
      binds: [`${this.volume}:${WORKSPACE_PATH}`],
      labels: this.labels,
    });
    try {
      await this.seedThrough(id);
    } finally {
      await this.engine.removeContainer(id);
    }
  }

  /**
   * The same copy, once, through a container that mounts the volume at `/workspace` and has
   * not started yet: a build step's own container, so the first step of a run costs no extra
   * container (create and remove were ~15 ms of each `slipway run`).
   */
  async seedThrough(containerId: string): Promise<void> {
    if (this.seeded) return;
    const tar = await packBuildContext(this.hostDir, { exclude: [".git"], dockerignore: false });
    await this.engine.copyToContainer(containerId, WORKSPACE_PATH, tar);
    this.seeded = true;
  }

  /**
   * Copies declared artifacts out of a finished step container into `destDir` and back
   * into the host checkout, so later stages (and `package`'s build context) see them.
   */
  async collectArtifacts(containerId: string, paths: string[], destDir: string): Promise<string[]> {
    const collected: string[] = [];
    for (const rel of paths) {
      // The archive's top entry is the basename of `rel`; it lands at the same relative place.
      // Each destination gets its own copy of the archive (streamed, never buffered whole),
      // and each is extracted under the same rules: the checkout's committed symlinks and
      // file types are never written through or replaced. The checkout goes first: an archive
      // it refuses never reaches the run's artifact store, where a retry would restore it.
      const prefix = posix.dirname(posix.normalize(rel));
      let files: string[] = [];
      for (const dest of [this.hostDir, destDir]) {
        const tar = await this.archive(containerId, rel);
        files = await extractArchive(tar, { dest, prefix, label: `artifact ${rel}` });
      }
      collected.push(...files);
    }
    return collected;
  }

  private async archive(containerId: string, rel: string): Promise<NodeJS.ReadableStream> {
    try {
      return await this.engine.copyFromContainer(containerId, `${WORKSPACE_PATH}/${rel}`);
    } catch (err) {
      throw new BuilderError("SLIPWAY_E_ARTIFACT_MISSING", `artifact ${rel} was not produced by the stage`, {
        cause: err,
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.engine.removeResource({ kind: "volume", id: this.volume, name: this.volume, labels: this.labels });
  }
}
