import { describe, expect, it } from "vitest";
import { isScalar } from "yaml";
import { describeNode, joinPath, YamlSource } from "../../../core/index.js";

describe("YamlSource: the YAML half of the schema toolkit", () => {
  it("positions a value at its start, and an empty value (`key:`) at its key", () => {
    const src = new YamlSource("a: 1\nempty:\nlist:\n  - x\n");
    const entries = src.entries(src.root);
    const at = (key: string) => {
      const e = entries.find((x) => x.key === key);
      return src.position(e?.value, e?.keyNode);
    };
    expect(at("a")).toEqual({ line: 1, column: 4 });
    expect(at("empty")).toEqual({ line: 2, column: 1 });
    expect(at("list")).toEqual({ line: 4, column: 3 });
  });

  it("keeps the first of a repeated key and reports it as duplicate-key, not as broken", () => {
    const src = new YamlSource("a: 1\nb: 2\na: 3\n");
    expect(src.broken).toBe(false);
    expect(src.issues).toEqual([
      { kind: "duplicate-key", line: 3, column: 1, message: "duplicate key: a key may appear only once in a map" },
    ]);
    const a = src.entries(src.root).filter((e) => e.key === "a");
    expect(a).toHaveLength(1);
    expect(isScalar(a[0]?.value) && a[0]?.value.value).toBe(1);
  });

  it("a syntax error breaks the tree and is reported once per line", () => {
    const src = new YamlSource('a: [1, 2\nb: "unclosed\n');
    expect(src.broken).toBe(true);
    const lines = src.issues.filter((i) => i.kind === "syntax").map((i) => i.line);
    expect(new Set(lines).size).toBe(lines.length);
    expect(src.issues[0]?.message).not.toContain("\n");
  });

  it("follows aliases, in values and in keys", () => {
    const src = new YamlSource("base: &b { x: 1 }\ncopy: *b\n");
    const copy = src.entries(src.root).find((e) => e.key === "copy");
    expect(describeNode(copy?.value ?? null)).toBe("a map");
  });

  it("a non-scalar key has no name; the reader decides how to report it", () => {
    const src = new YamlSource("? [a, b]\n: x\nok: 1\n");
    expect(src.entries(src.root).map((e) => e.key)).toEqual([undefined, "ok"]);
  });

  it.each([
    ["~", "nothing (null)"],
    ["[1]", "a list"],
    ["{a: 1}", "a map"],
    ["'x'", 'a string ("x")'],
    ["1.5", "a number (1.5)"],
    ["true", "a boolean (true)"],
    [`"${"y".repeat(50)}"`, `a string ("${"y".repeat(37)}...")`],
  ])("describes %s as %s", (text, words) => {
    const src = new YamlSource(`v: ${text}\n`);
    expect(describeNode(src.entries(src.root)[0]?.value ?? null)).toBe(words);
  });

  it("joins paths, quoting keys that are not plain words", () => {
    expect(joinPath("", "stages")).toBe("stages");
    expect(joinPath("stages[0].env", "A_B")).toBe("stages[0].env.A_B");
    expect(joinPath("labels", "io.slipway.x")).toBe('labels."io.slipway.x"');
  });
});
