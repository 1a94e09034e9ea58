import { describe, expect, it } from "vitest";
import { resolveBuilderImage } from "../../builders/index.js";
import { DockerEngine } from "../../engine/index.js";
import { runOnce } from "../helpers/docker.js";

const engine = new DockerEngine();

async function versionOf(image: string, cmd: string[]): Promise<string> {
  const result = await runOnce(image, cmd);
  expect(result.code, result.output).toBe(0);
  return result.output;
}

describe("Slipway's builder catalog builds for real", () => {
  it.each([
    ["node", "22", ["node", "--version"], /v22\./],
    ["go", "1.22", ["go", "version"], /go1\.22/],
  ])("%s/%s", async (catalog, version, cmd, expected) => {
    const builder = await resolveBuilderImage(engine, { name: `catalog-${catalog}`, catalog, version }, "/nonexistent");
    expect(builder.ref).toMatch(
      new RegExp(`^slipway-builder/catalog-${catalog}:${version.replace(".", "\\.")}-[0-9a-f]{12}$`),
    );
    expect(await versionOf(builder.ref, cmd)).toMatch(expected);
    // Unchanged Dockerfile: the same image comes back without a build.
    const again = await resolveBuilderImage(engine, { name: `catalog-${catalog}`, catalog, version }, "/nonexistent");
    expect(again).toEqual({ ...builder, built: false });
  });

  it("refuses a version the catalog does not ship, with a code", async () => {
    const err = await resolveBuilderImage(engine, { name: "x", catalog: "node", version: "4" }, "/").catch(
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("SLIPWAY_E_BUILDER_NOT_IN_CATALOG");
  });
});
