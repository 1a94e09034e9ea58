// The npm registry reachable here serves only the linux-x64 builds of biome's and rollup's
// platform packages, so `npm install` leaves the others out of package-lock.json, and
// `npm ci` then refuses the lock as out of sync. This adds the missing optional entries with
// their os/cpu/libc, which `npm ci` skips on other platforms without fetching anything.
// Run after `npm install` whenever the lock changes: node .ci/fix-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const OS = {
  android: "android",
  darwin: "darwin",
  linux: "linux",
  win32: "win32",
  freebsd: "freebsd",
  openbsd: "openbsd",
  openharmony: "openharmony",
};
const CPU = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x"];
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${path}/${key}`]) continue;
    const parts = name.split("/").pop().split("-");
    const os = parts.find((p) => OS[p]);
    const cpu =
      parts.find((p) => CPU.includes(p)) ??
      (parts.includes("eabi") || parts.includes("gnueabihf") || parts.includes("musleabihf") ? "arm" : undefined);
    if (!os || !cpu) {
      console.error(`cannot tell the platform of ${name}; leaving it out`);
      continue;
    }
    const entry = {
      version: spec.replace(/^[\^~=]/, ""),
      dev: pkg.dev || undefined,
      optional: true,
      os: [os],
      cpu: [cpu],
    };
    if (parts.includes("musl") || parts.includes("musleabihf")) entry.libc = ["musl"];
    else if (os === "linux") entry.libc = ["glibc"];
    lock.packages[key] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries`);
