import { join } from "node:path";
import { containPath, type Engine } from "../engine/index.js";

export interface PackageSpec {
  /** Host checkout of the run (artifacts of earlier stages already copied in). */
  workspaceDir: string;
  /** Context relative to the workspace; Dockerfile relative to the context (compose's convention). */
  dockerfile: string;
  context: string;
  /** Repository part of the image, e.g. `registry.local:5000/acme/app`. */
  image: string;
  /** Tags computed from the ref (`develop-14`, `develop`, ...). */
  tags: string[];
  buildArgs: Record<string, string>;
  revision: string;
  version: string;
  source: string;
  runId: string;
  /** Clock for `org.opencontainers.image.created`; injectable so tests can pin it. */
  now?: Date;
  onLine?: (line: string) => void;
  /** Cancel or stage timeout: stops the build. */
  signal?: AbortSignal;
}

/** The OCI annotations every packaged image carries, so an image can be traced to its commit. */
export function ociLabels(spec: Pick<PackageSpec, "revision" | "version" | "source" | "runId" | "now">) {
  return {
    "org.opencontainers.image.revision": spec.revision,
    "org.opencontainers.image.version": spec.version,
    "org.opencontainers.image.source": spec.source,
    "org.opencontainers.image.created": (spec.now ?? new Date()).toISOString(),
    "io.slipway.built-by-run": spec.runId,
  };
}

/** Builds the application image and tags it with every computed tag. Returns the image id and full refs. */
export async function packageImage(engine: Engine, spec: PackageSpec): Promise<{ imageId: string; refs: string[] }> {
  const refs = spec.tags.map((tag) => `${spec.image}:${tag}`);
  // The context and the Dockerfile (relative to the context) must resolve inside the checkout.
  const contextReal = await containPath({
    root: spec.workspaceDir,
    path: spec.context,
    what: "package context",
    kind: "directory",
  });
  await containPath({
    root: spec.workspaceDir,
    base: contextReal,
    path: spec.dockerfile,
    what: "package dockerfile",
    kind: "file",
  });
  const context = join(spec.workspaceDir, spec.context);
  const imageId = await engine.buildImage({
    context,
    dockerfile: spec.dockerfile,
    tags: refs,
    labels: ociLabels(spec),
    buildArgs: spec.buildArgs,
    onLine: spec.onLine,
    signal: spec.signal,
  });
  return { imageId, refs };
}
