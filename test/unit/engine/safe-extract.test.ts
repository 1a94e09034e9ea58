import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pack } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractArchive } from "../../../engine/index.js";

type Entry = { name: string; type?: string; body?: string; linkname?: string; mode?: number };

/** A tar stream of the given entries, as the engine's archive endpoint would send it. */
function tarOf(entries: Entry[]): NodeJS.ReadableStream {
  const p = pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? "file", linkname: e.linkname, mode: e.mode } as Parameters<
      typeof p.entry
    >[0];
    if ((e.type ?? "file") === "file") p.entry(header, e.body ?? "x");
    else p.entry(header);
  }
  p.finalize();
  return Readable.from(p);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe("extractArchive", () => {
  let root: string;
  let dest: string;
  let outside: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "slipway-extract-"));
    dest = join(root, "dest");
    outside = join(root, "outside");
    mkdirSync(dest);
    mkdirSync(outside);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const run = (entries: Entry[], opts: { prefix?: string; strip?: number } = {}) =>
    extractArchive(tarOf(entries), { dest, label: "artifact t", ...opts });

  it("writes files and directories under a prefix and returns the files' names", async () => {
    const files = await run(
      [
        { name: "app/", type: "directory" },
        { name: "app/bin", body: "binary" },
        { name: "app/lib/x.so", body: "so" },
      ],
      { prefix: "out" },
    );
    expect(files).toEqual(["out/app/bin", "out/app/lib/x.so"]);
    expect(readFileSync(join(dest, "out/app/bin"), "utf8")).toBe("binary");
  });

  it("never writes through a committed symlink to a directory outside", async () => {
    symlinkSync(outside, join(dest, "out"));
    expect(await codeOf(run([{ name: "out/", type: "directory" }, { name: "out/evil.txt" }]))).toBe(
      "SLIPWAY_E_ARTIFACT_SYMLINK",
    );
    expect(await codeOf(run([{ name: "evil.txt" }], { prefix: "out" }))).toBe("SLIPWAY_E_ARTIFACT_SYMLINK");
    expect(existsSync(join(outside, "evil.txt"))).toBe(false);
    expect(lstatSync(join(dest, "out")).isSymbolicLink()).toBe(true);
  });

  it("refuses a directory where a file was (the ENOTDIR crash) and a file where a directory was", async () => {
    writeFileSync(join(dest, "out3"), "committed");
    expect(await codeOf(run([{ name: "out3/", type: "directory" }, { name: "out3/sub/f" }]))).toBe(
      "SLIPWAY_E_ARTIFACT_TYPE_CONFLICT",
    );
    expect(readFileSync(join(dest, "out3"), "utf8")).toBe("committed");
    mkdirSync(join(dest, "d"));
    expect(await codeOf(run([{ name: "d" }]))).toBe("SLIPWAY_E_ARTIFACT_TYPE_CONFLICT");
    expect(lstatSync(join(dest, "d")).isDirectory()).toBe(true);
  });

  it("refuses a file replacing a committed symlink (even one pointing inside)", async () => {
    writeFileSync(join(dest, "target"), "t");
    symlinkSync("target", join(dest, "link"));
    expect(await codeOf(run([{ name: "link", body: "new" }]))).toBe("SLIPWAY_E_ARTIFACT_SYMLINK");
    expect(readFileSync(join(dest, "target"), "utf8")).toBe("t");
  });

  it("refuses hard links, devices and FIFOs", async () => {
    expect(await codeOf(run([{ name: "a" }, { name: "b", type: "link", linkname: "a" }]))).toBe(
      "SLIPWAY_E_ARTIFACT_LINK",
    );
    expect(await codeOf(run([{ name: "null", type: "character-device" }]))).toBe("SLIPWAY_E_ARTIFACT_DEVICE");
    expect(await codeOf(run([{ name: "sda", type: "block-device" }]))).toBe("SLIPWAY_E_ARTIFACT_DEVICE");
    expect(await codeOf(run([{ name: "pipe", type: "fifo" }]))).toBe("SLIPWAY_E_ARTIFACT_DEVICE");
  });

  it("refuses names that leave the destination, touch .git or are absurdly long", async () => {
    expect(await codeOf(run([{ name: "../escape" }]))).toBe("SLIPWAY_E_ARTIFACT_PATH");
    expect(await codeOf(run([{ name: "a/../../escape" }]))).toBe("SLIPWAY_E_ARTIFACT_PATH");
    expect(await codeOf(run([{ name: ".git/hooks/post-checkout" }]))).toBe("SLIPWAY_E_ARTIFACT_PATH");
    expect(await codeOf(run([{ name: `${"a".repeat(300)}` }]))).toBe("SLIPWAY_E_ARTIFACT_PATH");
    expect(await codeOf(run([{ name: `${"abcdefgh/".repeat(600)}f` }]))).toBe("SLIPWAY_E_ARTIFACT_PATH");
    expect(existsSync(join(root, "escape"))).toBe(false);
  });

  it("keeps symlinks that stay inside the destination and refuses the others", async () => {
    await run([{ name: "t" }, { name: "rel", type: "symlink", linkname: "t" }]);
    expect(lstatSync(join(dest, "rel")).isSymbolicLink()).toBe(true);
    expect(await codeOf(run([{ name: "abs", type: "symlink", linkname: "/etc/passwd" }]))).toBe(
      "SLIPWAY_E_ARTIFACT_SYMLINK",
    );
    expect(await codeOf(run([{ name: "up", type: "symlink", linkname: "../outside" }]))).toBe(
      "SLIPWAY_E_ARTIFACT_SYMLINK",
    );
    expect(existsSync(join(dest, "abs"))).toBe(false);
  });

  it("refuses an entry written under a symlink the archive itself created", async () => {
    const code = await codeOf(
      run([
        { name: "sub/", type: "directory" },
        { name: "l", type: "symlink", linkname: "sub" },
        { name: "l/f", body: "through" },
      ]),
    );
    expect(code).toBe("SLIPWAY_E_ARTIFACT_SYMLINK");
    expect(existsSync(join(dest, "sub/f"))).toBe(false);
  });

  it("turns a truncated archive into a coded rejection without host paths", async () => {
    const broken = Readable.from([Buffer.alloc(700, 1)]);
    const err = await extractArchive(broken, { dest, label: "artifact t" }).catch((e: Error & { code: string }) => e);
    expect((err as { code?: string }).code).toBe("SLIPWAY_E_ARTIFACT_EXTRACT");
    expect((err as Error).message).not.toContain(root);
  });

  it("strips leading components and filters with select", async () => {
    const files = await extractArchive(
      tarOf([
        { name: "workspace/reports/a.xml" },
        { name: "workspace/reports/b.txt" },
        { name: "workspace/x", type: "symlink", linkname: "/etc" },
      ]),
      { dest, strip: 1, label: "junit", select: (name) => name.endsWith(".xml") },
    );
    expect(files).toEqual(["reports/a.xml"]);
    expect(existsSync(join(dest, "reports/b.txt"))).toBe(false);
  });
});
