import { createHash } from "node:crypto";
import Docker from "dockerode";
import pg from "pg";
import { pack } from "tar-stream";

/**
 * PostgreSQL for the store suite, provisioned the testcontainers way so that `npm test` needs
 * nothing but a Docker engine: an image built `FROM debian:bookworm-slim` (Debian's own
 * postgresql package: nothing is pulled), one container found by its label and reused across
 * test runs and worktrees, published on 127.0.0.1 at a port the engine chooses.
 * `$SLIPWAY_TEST_PG_URL` overrides all of it with an existing server.
 *
 * The container carries `io.slipway.test-service` and no `io.slipway.owner`: it is a fixture
 * of the machine, not a resource of one test run, so the global teardown does not count it
 * as a leak and `slipway gc` never sees it. Remove it by hand when done:
 *   docker rm -f $(docker ps -aq --filter label=io.slipway.test-service=postgres)
 */
export const PG_SERVICE_LABEL = "io.slipway.test-service";

const DOCKERFILE = `FROM debian:bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \\
 && rm -rf /var/lib/apt/lists/* \\
 && echo "listen_addresses = '*'" >> /etc/postgresql/15/main/postgresql.conf \\
 && echo "fsync = off" >> /etc/postgresql/15/main/postgresql.conf \\
 && echo "host all all 0.0.0.0/0 scram-sha-256" >> /etc/postgresql/15/main/pg_hba.conf \\
 && pg_ctlcluster 15 main start \\
 && su postgres -c "psql -qc \\"CREATE ROLE slipway LOGIN PASSWORD 'slipway'\\"" \\
 && su postgres -c "createdb -O slipway slipway_test" \\
 && pg_ctlcluster 15 main stop
USER postgres
EXPOSE 5432
# Fast shutdown (SIGTERM would wait for clients to disconnect).
STOPSIGNAL SIGINT
CMD ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", \\
     "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"]
`;

/** The tag names the Dockerfile's content: a changed recipe gets a new image, never a stale one. */
export const PG_IMAGE = `slipway-test/postgres:15-${createHash("sha256").update(DOCKERFILE).digest("hex").slice(0, 12)}`;
const CONTAINER_NAME = "slipway-test-postgres";
const CREDENTIALS = "slipway:slipway";
const DATABASE = "slipway_test";

let cached: Promise<string> | undefined;

/** The URL of the store suite's PostgreSQL, starting (and first building) it when needed. */
export function testPostgresUrl(): Promise<string> {
  const fromEnv = process.env.SLIPWAY_TEST_PG_URL;
  if (fromEnv) return Promise.resolve(fromEnv);
  cached ??= provision();
  return cached;
}

async function provision(): Promise<string> {
  const docker = new Docker();
  if (!(await hasImage(docker, PG_IMAGE))) await buildImage(docker);
  const id = await findOrCreate(docker);
  const container = docker.getContainer(id);
  let info = await container.inspect();
  if (!info.State.Running) {
    await container.start().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 304) throw err; // 304: another test run started it meanwhile
    });
    info = await container.inspect();
  }
  const port = info.NetworkSettings.Ports["5432/tcp"]?.[0]?.HostPort;
  if (!port) throw new Error(`container ${CONTAINER_NAME} publishes no port for 5432/tcp`);
  const url = `postgres://${CREDENTIALS}@127.0.0.1:${port}/${DATABASE}`;
  await waitReady(url);
  return url;
}

async function hasImage(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

async function buildImage(docker: Docker): Promise<void> {
  const context = pack();
  context.entry({ name: "Dockerfile" }, DOCKERFILE);
  context.finalize();
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: PG_IMAGE,
    labels: { [PG_SERVICE_LABEL]: "postgres" },
    rm: true,
    forcerm: true,
  });
  const events = await new Promise<{ error?: string; stream?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) =>
      err ? reject(err) : resolve(out),
    ),
  );
  const failed = events.find((e) => e.error);
  if (failed) {
    const tail = events
      .map((e) => e.stream ?? "")
      .join("")
      .slice(-2000);
    throw new Error(`building ${PG_IMAGE} failed: ${failed.error}\n${tail}`);
  }
}

/** The labelled container (of this image), else a new one; a fixed name settles a race between runs. */
async function findOrCreate(docker: Docker): Promise<string> {
  const filters = JSON.stringify({ label: [`${PG_SERVICE_LABEL}=postgres`] });
  const existing = await docker.listContainers({ all: true, filters });
  const current = existing.find((c) => c.Image === PG_IMAGE);
  if (current) return current.Id;
  // An older recipe's container holds the name: replace it.
  for (const c of existing) await docker.getContainer(c.Id).remove({ force: true });
  try {
    const created = await docker.createContainer({
      name: CONTAINER_NAME,
      Image: PG_IMAGE,
      Labels: { [PG_SERVICE_LABEL]: "postgres" },
      ExposedPorts: { "5432/tcp": {} },
      HostConfig: { PortBindings: { "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    return created.id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    return (await docker.getContainer(CONTAINER_NAME).inspect()).Id;
  }
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL at ${url} did not become ready: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
