import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError, listContextFiles } from "../../../engine/index.js";

describe("listContextFiles", () => {
  let dir: string;
  const write = (rel: string, body = "x") => {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), body);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slipway-ctx-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("honours .dockerignore but always sends the Dockerfile and .dockerignore", async () => {
    for (const f of [
      "Dockerfile",
      "src/a.js",
      "src/b.test.js",
      "node_modules/x/index.js",
      "secret.env",
      "docs/keep.md",
    ])
      write(f);
    write(".dockerignore", "node_modules\n*.env\n**/*.test.js\nDockerfile\n");
    expect(await listContextFiles(dir, { dockerfile: "Dockerfile" })).toEqual([
      ".dockerignore",
      "Dockerfile",
      "docs/keep.md",
      "src/a.js",
    ]);
  });

  it("re-includes files with ! exceptions inside ignored directories", async () => {
    for (const f of ["Dockerfile", "logs/a.log", "logs/keep.log"]) write(f);
    write(".dockerignore", "logs\n!logs/keep.log\n");
    expect(await listContextFiles(dir, { dockerfile: "Dockerfile" })).toEqual([
      ".dockerignore",
      "Dockerfile",
      "logs/keep.log",
    ]);
  });

  it("can copy a directory verbatim, minus excluded top-level names", async () => {
    for (const f of ["a", ".git/config", "test/t.js"]) write(f);
    write(".dockerignore", "test\n");
    expect(await listContextFiles(dir, { dockerignore: false, exclude: [".git"] })).toEqual([
      ".dockerignore",
      "a",
      "test/t.js",
    ]);
  });

  it("reports a missing Dockerfile with a code", async () => {
    const err = await listContextFiles(dir, { dockerfile: "Dockerfile" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("SLIPWAY_E_ENGINE_CONTEXT");
  });
});
