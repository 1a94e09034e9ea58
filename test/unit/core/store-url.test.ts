import { describe, expect, it } from "vitest";
import { parseStoreUrl as configReads } from "../../../config/values.js";
import { readStoreUrl } from "../../../core/index.js";
import { parseStoreUrl as storeReads } from "../../../store/index.js";

describe("readStoreUrl: the one store-URL grammar", () => {
  it.each([
    ["", { engine: "sqlite", path: "" }],
    ["  sqlite:  ", { engine: "sqlite", path: "" }],
    ["sqlite://", { engine: "sqlite", path: "" }],
    ["SQLite:/var/lib/s.db", { engine: "sqlite", path: "/var/lib/s.db" }],
    ["sqlite:///var/lib/s.db", { engine: "sqlite", path: "/var/lib/s.db" }],
    ["sqlite:state/ci.db", { engine: "sqlite", path: "state/ci.db" }],
    ["postgres://u@db:5432/slipway", { engine: "postgres", url: "postgres://u@db:5432/slipway", hasPassword: false }],
    ["postgresql://u:pw@db/slipway", { engine: "postgres", url: "postgresql://u:pw@db/slipway", hasPassword: true }],
  ])("%j", (text, location) => {
    expect(readStoreUrl(text)).toEqual({ ok: true, location });
  });

  it.each([
    ["mysql://db/slipway", /unsupported store "mysql:"/],
    ["sqlite://host/file.db", /sqlite:\/absolute\/path\.db/],
    ["postgres:///slipway", /has no host/],
    ["/var/lib/slipway.db", /not a store URL/],
  ])("refuses %s", (text, reason) => {
    const reading = readStoreUrl(text);
    expect(reading.ok).toBe(false);
    expect(reading.ok ? "" : reading.reason).toMatch(reason);
  });

  // The config used to accept `sqlite://host/file.db` and the store `postgres:///db`: a
  // runner could start with a URL it then failed to open, or refuse one it could open.
  it.each(["", "sqlite:x.db", "sqlite://host/f.db", "postgres:///db", "postgres://db/x", "mysql://db/x", "db.sqlite"])(
    "the config accepts %j exactly when the store can open it",
    (text) => {
      const configOk = configReads(text).ok;
      let storeOk = true;
      try {
        storeReads(text, "/data");
      } catch {
        storeOk = false;
      }
      expect(configOk).toBe(storeOk);
    },
  );
});
