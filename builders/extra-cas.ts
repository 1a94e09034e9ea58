import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/**
 * Where the extra CA certificates of the machine Slipway runs on live: Debian's local CA
 * directory on a host, and in Slipway's image (image/build.sh puts the host's there). A
 * TLS-intercepting proxy's CA is one of these; `SLIPWAY_EXTRA_CA_CERTS` (a `:`-separated
 * list of PEM files or directories) replaces the default.
 */
export const DEFAULT_CA_DIR = "/usr/local/share/ca-certificates";

export interface ExtraCa {
  /** A file name unique in the set, ending in `.crt` (what update-ca-certificates reads). */
  name: string;
  pem: Buffer;
}

/**
 * The extra CAs Slipway hands to the image builds it controls (the builder catalog), so that
 * a download behind an intercepting proxy is verified against the proxy's CA instead of
 * with TLS verification switched off. Sorted by name, so the builder's content hash is stable.
 */
export async function extraCaCertificates(env: NodeJS.ProcessEnv = process.env): Promise<ExtraCa[]> {
  const sources = (env.SLIPWAY_EXTRA_CA_CERTS ?? DEFAULT_CA_DIR).split(":").filter(Boolean);
  const found = new Map<string, Buffer>();
  for (const source of sources) {
    for (const file of await crtFiles(source)) {
      const pem = await readFile(file).catch(() => undefined);
      if (!pem?.includes("-----BEGIN CERTIFICATE-----")) continue;
      let name = basename(file)
        .replace(/\.(crt|pem)$/, "")
        .replace(/[^A-Za-z0-9._-]/g, "_");
      while (found.has(`${name}.crt`)) name = `${name}_`;
      found.set(`${name}.crt`, pem);
    }
  }
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, pem]) => ({ name, pem }));
}

/** The `.crt`/`.pem` files of a directory (one level of subdirectories, as Debian lays them out), or the file itself. */
async function crtFiles(source: string, depth = 0): Promise<string[]> {
  const st = await stat(source).catch(() => undefined);
  if (!st) return [];
  if (st.isFile()) return [source];
  if (!st.isDirectory() || depth > 1) return [];
  const out: string[] = [];
  for (const entry of (await readdir(source)).sort()) {
    const path = join(source, entry);
    const sub = await stat(path).catch(() => undefined);
    if (sub?.isDirectory()) out.push(...(await crtFiles(path, depth + 1)));
    else if (sub?.isFile() && /\.(crt|pem)$/.test(entry)) out.push(path);
  }
  return out;
}
