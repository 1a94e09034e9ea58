import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "../../../dashboard/src/ansi.js";

describe("dashboard: ANSI colours in log lines", () => {
  it("splits a line into spans with the SGR colours in force", () => {
    expect(parseAnsi("\x1b[32mok\x1b[0m step 1")).toEqual([{ text: "ok", fg: 32 }, { text: " step 1" }]);
    expect(parseAnsi("\x1b[1;31merror\x1b[22m still red\x1b[39m plain")).toEqual([
      { text: "error", fg: 31, bold: true },
      { text: " still red", fg: 31, bold: false },
      { text: " plain", fg: undefined, bold: false },
    ]);
    expect(parseAnsi("\x1b[44;97m BLUE \x1b[49m")).toEqual([{ text: " BLUE ", bg: 44, fg: 97 }]);
  });

  it("keeps a plain line whole and drops non-colour escape sequences", () => {
    expect(parseAnsi("plain text")).toEqual([{ text: "plain text" }]);
    expect(parseAnsi("a\x1b[2Kb")).toEqual([{ text: "a" }, { text: "b" }]);
    expect(stripAnsi("\x1b[32mok\x1b[0m done\x1b[K")).toBe("ok done");
  });
});
