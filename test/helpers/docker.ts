import { Writable } from "node:stream";
import Docker from "dockerode";

/**
 * The tests' own dockerode client, for what a test checks from outside Slipway: an image's
 * labels, containers and images the daemon made by itself (a build's intermediate
 * containers), an unlabelled container `gc` must leave alone. Slipway's code reaches the
 * engine only through the `Engine` interface and `DockerEngine` keeps its client private, so
 * a test that asserts through this client is not taking Slipway's word for what happened.
 */
export const docker = new Docker();

/** The labels an image carries (empty when it has none). */
export async function imageLabels(ref: string): Promise<Record<string, string>> {
  return (await docker.getImage(ref).inspect()).Config.Labels ?? {};
}

/** Runs `cmd` in a throwaway container of `image`; its exit code and combined output. */
export async function runOnce(image: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(chunk as Buffer);
      done();
    },
  });
  const [result] = (await docker.run(image, cmd, sink, { HostConfig: { AutoRemove: true } })) as [
    { StatusCode: number },
  ];
  return { code: result.StatusCode, output: Buffer.concat(chunks).toString() };
}
