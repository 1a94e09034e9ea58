import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builderSource, CATALOG_DIR, contentHash } from "../../../builders/index.js";

describe("builder content hash", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slipway-hash-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\n");
    writeFileSync(join(dir, "tool.sh"), "echo 1\n");
    writeFileSync(join(dir, ".dockerignore"), "*.log\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const src = () => ({ context: dir, dockerfile: "Dockerfile" });

  it("is stable for unchanged inputs and changes with the Dockerfile, the context or the version", async () => {
    const h1 = await contentHash(src(), "1");
    expect(h1).toMatch(/^[0-9a-f]{12}$/);
    expect(await contentHash(src(), "1")).toBe(h1);
    expect(await contentHash(src(), "2")).not.toBe(h1);
    writeFileSync(join(dir, "tool.sh"), "echo 2\n");
    const h2 = await contentHash(src(), "1");
    expect(h2).not.toBe(h1);
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nRUN true\n");
    expect(await contentHash(src(), "1")).not.toBe(h2);
  });

  it("ignores files the daemon never sees (.dockerignore)", async () => {
    const h1 = await contentHash(src(), "1");
    writeFileSync(join(dir, "build.log"), "noise");
    expect(await contentHash(src(), "1")).toBe(h1);
  });

  it("locates repository and catalog Dockerfiles", () => {
    expect(builderSource({ name: "go", dockerfile: "build/go/Dockerfile", version: "1" }, "/repo")).toEqual({
      context: "/repo/build/go",
      dockerfile: "Dockerfile",
    });
    expect(builderSource({ name: "n", catalog: "node", version: "22" }, "/repo")).toEqual({
      context: join(CATALOG_DIR, "node", "22"),
      dockerfile: "Dockerfile",
    });
    expect(builderSource({ name: "i", image: "busybox", version: "" }, "/repo")).toBeUndefined();
  });
});
