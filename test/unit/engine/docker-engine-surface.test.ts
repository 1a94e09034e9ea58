import { describe, expect, expectTypeOf, it } from "vitest";
import { DockerEngine, type Engine } from "../../../engine/index.js";

describe("DockerEngine's surface is the Engine interface and nothing more", () => {
  it("exposes no dockerode client, not even at run time", () => {
    // Constructing one opens no connection: dockerode dials on the first request.
    const engine = new DockerEngine();
    expect("docker" in engine).toBe(false);
    expect(Object.keys(engine)).toEqual([]);
    expect(Object.getOwnPropertyNames(DockerEngine.prototype)).not.toContain("docker");
  });

  it("has no public member the interface lacks (checked by tsc, which runs this file's types)", () => {
    expectTypeOf<keyof DockerEngine>().toEqualTypeOf<keyof Engine>();
  });
});
