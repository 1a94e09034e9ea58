import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bindSource } from "../../../compose/index.js";
import { containPath } from "../../../engine/index.js";

async function refusal(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("not refused");
}

describe("containPath", () => {
  let base: string;
  let root: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "slipway-contain-"));
    root = join(base, "checkout");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "sub", "Dockerfile"), "FROM x\n");
    writeFileSync(join(base, "secret"), "host\n");
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));
  const contain = (path: string, extra = {}) => containPath({ root, path, what: "dockerfile", ...extra });

  it("returns the real path of a path inside", async () => {
    symlinkSync("sub", join(root, "alias"));
    expect(await contain("alias/Dockerfile", { kind: "file" })).toBe(join(root, "sub", "Dockerfile"));
  });

  it.each([
    ["/etc/passwd", "is absolute"],
    ["~/x", "is absolute"],
    ["C:/x", "is absolute"],
    ["../secret", 'climbs out of the checkout with ".."'],
    ["sub/../../secret", 'climbs out of the checkout with ".."'],
    ["", "is empty"],
  ])("refuses %s", async (path, why) => {
    const err = await refusal(contain(path));
    expect(err.code).toBe("SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect(err.message).toContain(why);
    expect(err.message).not.toContain(base);
  });

  it("refuses symlinks resolving outside, dangling ones too, and says not found without host paths", async () => {
    symlinkSync(join(base, "secret"), join(root, "link"));
    symlinkSync("/nonexistent/elsewhere", join(root, "dangling"));
    expect((await refusal(contain("link"))).code).toBe("SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    expect((await refusal(contain("dangling", { allowMissing: true }))).code).toBe("SLIPWAY_E_PATH_OUTSIDE_CHECKOUT");
    const missing = await refusal(contain("sub/nope"));
    expect(missing.code).toBe("SLIPWAY_E_PATH_NOT_FOUND");
    expect(missing.message).toContain("not found in the checkout (sub/nope)");
    expect(missing.message).not.toContain(base);
  });

  it("reports loops and wrong kinds with their own codes", async () => {
    symlinkSync("b", join(root, "a"));
    symlinkSync("a", join(root, "b"));
    expect((await refusal(contain("a"))).code).toBe("SLIPWAY_E_PATH_NOT_FOUND");
    expect((await refusal(contain("sub", { kind: "file" }))).code).toBe("SLIPWAY_E_PATH_WRONG_KIND");
  });

  it("resolves relative to a base inside the checkout and allows missing paths there", async () => {
    expect(await contain("Dockerfile", { base: join(root, "sub") })).toBe(join(root, "sub", "Dockerfile"));
    expect(await contain("data/new", { allowMissing: true })).toBe(join(root, "data", "new"));
  });
});

describe("bindSource", () => {
  it.each([
    ["/etc:/host:ro", "/etc"],
    ["./data:/data", "./data"],
    ["~/x:/x", "~/x"],
    ["${HOME}:/h", "${HOME}"],
    ["named:/data", undefined],
    ["/anonymous", undefined],
    [{ type: "bind", source: "/var/run/docker.sock", target: "/s" }, "/var/run/docker.sock"],
    [{ type: "volume", source: "v", target: "/v" }, undefined],
  ])("%j → %s", (entry, expected) => {
    expect(bindSource(entry)).toBe(expected);
  });
});
