import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createMasker } from "../../secrets/index.js";

// 68 characters, as in issue 7's probe.
const SECRET = "s3cr3t-Tok3n_with.Mixed/Chars+and=more-than-sixty-eight-chars-012345";

function b64(input: string, width: number): string[] {
  return execFileSync("base64", ["-w", String(width)], { input })
    .toString()
    .split("\n")
    .filter(Boolean);
}

describe("security: masking (issue 7, probe 6)", () => {
  const mask = createMasker([SECRET]);
  const encodedSecret = Buffer.from(SECRET).toString("base64");

  it.each([76, 64, 0])(
    "base64 -w %i of the secret at offsets 0, 1, 2 inside other text shows at most 7 characters of its encoding per line",
    (width) => {
      expect(SECRET).toHaveLength(68);
      for (const prefix of ["", "x", "xy"]) {
        const lines = b64(`${prefix}${SECRET} and some text after it`, width);
        const aligned = Buffer.concat([Buffer.from(prefix), Buffer.from(SECRET)]).toString("base64");
        for (const line of lines) {
          const masked = mask(line);
          // The longest run of the (aligned) encoding left in clear on this line.
          let longest = 0;
          for (let i = 0; i < masked.length; i++) {
            for (let j = i + 1; j <= masked.length; j++) {
              if (aligned.includes(masked.slice(i, j)) || encodedSecret.includes(masked.slice(i, j)))
                longest = Math.max(longest, j - i);
              else break;
            }
          }
          expect(longest, `${line} -> ${masked}`).toBeLessThanOrEqual(8);
        }
      }
    },
  );

  it.each([
    ["upper-case hex", encodeURIComponent(SECRET)],
    ["lower-case hex", encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ["+ for space", encodeURIComponent(`${SECRET} x`).replace(/%20/g, "+").replace(/\+x$/, "")],
    ["encodeURI", encodeURI(SECRET)],
  ])("percent-encoding with %s is masked", (_what, form) => {
    expect(mask(`url=https://u:${form}@host/`)).not.toContain(form);
  });

  it("a secret with spaces in form encoding", () => {
    const spaced = createMasker(["pass word with spaces"]);
    expect(spaced("p=pass+word+with+spaces&x=1")).toBe("p=****&x=1");
    expect(spaced("p=pass%20word%20with%20spaces")).toBe("p=****");
  });

  it("unrelated base64 output is left alone", () => {
    const other = b64("completely unrelated content that is long enough to wrap lines", 76);
    for (const line of other) expect(mask(line)).toBe(line);
  });

  it("store-issued API tokens are masked by their shape", () => {
    const token = `slw_${"A1b2-C3d4_".repeat(4)}xyz`;
    expect(token).toHaveLength(47);
    expect(createMasker([])(`curl -H "Authorization: Bearer ${token}"`)).toBe('curl -H "Authorization: Bearer ****"');
  });
});
