import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import type { FastifyInstance } from "fastify";
import { ROUTES, type TestReportJson } from "../../api-schema/index.js";
import { parseJUnitReport } from "../../compose/index.js";
import type { ArtifactRow, Store } from "../../store/index.js";
import { API_ERROR, sendError } from "./api-errors.js";

/** `<dataDir>/runs/<run>/artifacts`: a stage's files are under `<stage>/`, as the stage wrote them. */
export function artifactsRoot(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId, "artifacts");
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile()) yield full;
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Indexes the files a stage left in its artifact directory (build `artifacts:`, JUnit reports
 * of a compose stage, files restored from the original of a retry), with size and SHA-256.
 * Returns how many were recorded.
 */
export async function recordArtifacts(store: Store, dataDir: string, runId: string, stage: string): Promise<number> {
  const dir = join(artifactsRoot(dataDir, runId), stage);
  let count = 0;
  for await (const file of walk(dir)) {
    const { size } = await stat(file);
    const path = relative(dir, file).split(sep).join("/");
    await store.addArtifact(runId, { stage, path, size, sha256: await sha256Of(file) });
    count++;
  }
  return count;
}

/** An artifact's file on disk; undefined when its recorded path would leave the run's directory. */
function artifactFile(dataDir: string, a: ArtifactRow): string | undefined {
  const base = resolve(artifactsRoot(dataDir, a.runId), a.stage);
  const file = resolve(base, a.path);
  return file.startsWith(base + sep) ? file : undefined;
}

/** Per stage, the counts and failing test names of the JUnit XML artifacts it recorded. */
export async function testReports(dataDir: string, runId: string, artifacts: ArtifactRow[]): Promise<TestReportJson[]> {
  const byStage = new Map<string, TestReportJson>();
  for (const a of artifacts) {
    if (!a.path.endsWith(".xml") || a.size > 16 * 1024 * 1024) continue;
    const file = artifactFile(dataDir, { ...a, runId });
    if (!file) continue;
    const text = await readFile(file, "utf8").catch(() => "");
    if (!/<testsuites?\b/.test(text)) continue;
    let parsed: ReturnType<typeof parseJUnitReport>;
    try {
      parsed = parseJUnitReport(text, a.path);
    } catch {
      continue; // not a JUnit report after all: it stays a plain artifact
    }
    const report = byStage.get(a.stage) ?? {
      stage: a.stage,
      tests: 0,
      passed: 0,
      failed: 0,
      errors: 0,
      skipped: 0,
      failures: [],
    };
    const { counts } = parsed;
    report.tests += counts.tests;
    report.failed += counts.failures;
    report.errors += counts.errors;
    report.skipped += counts.skipped;
    report.passed = Math.max(0, report.tests - report.failed - report.errors - report.skipped);
    report.failures.push(...parsed.failures);
    byStage.set(a.stage, report);
  }
  return [...byStage.values()];
}

/**
 * `GET /api/runs/:id/artifacts/:artifact`: the file, as an attachment. It takes the two parts
 * of the daemon it uses rather than the DaemonContext: the run executor imports this module,
 * and the context imports the scheduler that imports the executor (a cycle).
 */
export function registerArtifactRoutes(
  app: FastifyInstance,
  ctx: { store: Pick<Store, "listArtifacts">; config: { dataDir: string } },
): void {
  app.get<{ Params: { id: string; artifact: string } }>(
    "/api/runs/:id/artifacts/:artifact",
    { schema: ROUTES.getArtifact },
    async (req, reply) => {
      const artifact = (await ctx.store.listArtifacts(req.params.id)).find((a) => String(a.id) === req.params.artifact);
      const file = artifact && artifactFile(ctx.config.dataDir, artifact);
      const size = file ? await stat(file).catch(() => undefined) : undefined;
      if (!artifact || !file || !size?.isFile()) {
        return sendError(reply, API_ERROR.NOT_FOUND, `run ${req.params.id} has no artifact ${req.params.artifact}`);
      }
      const name = basename(artifact.path).replace(/[^\w.-]/g, "_");
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-length", String(size.size))
        .header("content-disposition", `attachment; filename="${name}"`)
        .header("x-sha256", artifact.sha256)
        .send(createReadStream(file));
    },
  );
}
