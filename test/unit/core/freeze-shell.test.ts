import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { deepFreeze, shellQuote } from "../../../core/index.js";

describe("deepFreeze", () => {
  it("freezes every level, arrays included, and returns the same object", () => {
    const value = { a: { b: [1, { c: 2 }] }, d: "x" };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(() => {
      (value.a.b[1] as { c: number }).c = 3;
    }).toThrow(TypeError);
  });

  it("ends on a cycle and leaves primitives alone", () => {
    const loop: { self?: unknown } = {};
    loop.self = loop;
    expect(Object.isFrozen(deepFreeze(loop))).toBe(true);
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
  });
});

describe("shellQuote", () => {
  it.each(["plain", "it's", "", '$HOME `id` $(id) \\ "q"', "a\nb\tc", "*?[x]{a,b}~", "'''", "-n"])(
    "%j is one word that sh reads back unchanged",
    (text) => {
      const r = spawnSync("/bin/sh", ["-c", `printf %s ${shellQuote(text)}`], { encoding: "utf8" });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(text);
    },
  );
});
