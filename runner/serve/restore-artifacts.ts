import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pack as packTar } from "tar-fs";
import { extractArchive } from "../../engine/index.js";

/** Copies the original run's artifacts into this run's workspace and artifact dir. */
export async function restoreArtifacts(
  dataDir: string,
  originalId: string,
  artifactsDir: string,
  worktree: string,
): Promise<void> {
  const from = join(dataDir, "runs", originalId, "artifacts");
  const stages = await readdir(from).catch(() => [] as string[]);
  // Restored through the same safe extractor as a stage's own artifacts: the new worktree is a
  // fresh checkout of the same untrusted commit, so its committed symlinks must not be written
  // through (a plain recursive copy would follow `out -> /host/dir`).
  for (const stage of stages) {
    const label = `artifacts of stage ${stage} (retry)`;
    await extractArchive(packDir(join(from, stage)), { dest: join(artifactsDir, stage), label });
    await extractArchive(packDir(join(from, stage)), { dest: worktree, label });
  }
}

/** A directory as a tar stream; tar-fs never follows symbolic links while packing. */
function packDir(dir: string): NodeJS.ReadableStream {
  return packTar(dir) as unknown as NodeJS.ReadableStream;
}
