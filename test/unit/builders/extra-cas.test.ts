import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { extraCaCertificates } from "../../../builders/index.js";

const pem = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`;

describe("extra CA certificates handed to catalog builder builds", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-cas-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "proxy.crt"), pem("proxy"));
  mkdirSync(join(dir, "corp"));
  writeFileSync(join(dir, "corp", "root ca.crt"), pem("corp"));
  writeFileSync(join(dir, "notes.txt"), pem("not a .crt name"));
  writeFileSync(join(dir, "empty.crt"), "not a certificate");
  const single = join(dir, "single.pem");
  writeFileSync(single, pem("single"));

  it("reads the .crt files of a directory and of its subdirectories, skipping non-certificates", async () => {
    const cas = await extraCaCertificates({ SLIPWAY_EXTRA_CA_CERTS: dir });
    expect(cas.map((c) => c.name)).toEqual(["proxy.crt", "root_ca.crt", "single.crt"]);
    expect(cas[0]?.pem.toString()).toBe(pem("proxy"));
  });

  it("takes a `:`-separated list of files and directories; same names stay distinct; missing paths are none", async () => {
    const other = mkdtempSync(join(tmpdir(), "slipway-cas-other-"));
    try {
      writeFileSync(join(other, "proxy.crt"), pem("another proxy"));
      const cas = await extraCaCertificates({ SLIPWAY_EXTRA_CA_CERTS: `${single}:${other}:/nonexistent/dir` });
      expect(cas.map((c) => [c.name, c.pem.toString()])).toEqual([
        ["proxy.crt", pem("another proxy")],
        ["single.crt", pem("single")],
      ]);
      const twice = await extraCaCertificates({ SLIPWAY_EXTRA_CA_CERTS: `${dir}:${other}` });
      expect(twice.filter((c) => c.name.startsWith("proxy"))).toHaveLength(2);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("an empty list gives no CA", async () => {
    expect(await extraCaCertificates({ SLIPWAY_EXTRA_CA_CERTS: "/nonexistent" })).toEqual([]);
  });
});
