import { describe, expect, it } from "vitest";
import { createStreamMasker, MASK } from "../../../secrets/index.js";

/** Chunked output: a secret split across chunks must still be masked. */

function feed(secrets: string[], chunks: string[], maxLineLength?: number): string {
  const stream = createStreamMasker(secrets, maxLineLength === undefined ? {} : { maxLineLength });
  return chunks.map((c) => stream.write(c)).join("") + stream.end();
}

describe("createStreamMasker", () => {
  it("masks a secret that straddles two chunks", () => {
    expect(feed(["topsecret"], ["login with tops", "ecret now\nnext line\n"])).toBe(
      `login with ${MASK} now\nnext line\n`,
    );
  });

  it("emits only whole lines until the end", () => {
    const stream = createStreamMasker(["topsecret"]);
    expect(stream.write("partial top")).toBe("");
    expect(stream.write("secret\nrest")).toBe(`partial ${MASK}\n`);
    expect(stream.end()).toBe("rest");
    expect(stream.end()).toBe("");
  });

  it("gives the same result for every way of cutting the text into chunks", () => {
    const text = "a topsecret b\ncd topsecrettopsecret\r\nend topsec";
    const whole = feed(["topsecret"], [text]);
    expect(whole).toBe(`a ${MASK} b\ncd ${MASK}\r\nend topsec`);
    for (let cut = 1; cut < text.length; cut++) {
      expect(feed(["topsecret"], [text.slice(0, cut), text.slice(cut)])).toBe(whole);
    }
    expect(feed(["topsecret"], [...text])).toBe(whole);
  });

  it("flushes an over-long line in parts without splitting a secret", () => {
    const secret = "0123456789abcdef";
    const line = `${"x".repeat(100)}${secret}${"y".repeat(100)}${secret}`;
    for (let size = 1; size <= 40; size += 3) {
      const chunks = line.match(new RegExp(`.{1,${size}}`, "gs")) ?? [];
      const out = feed([secret], chunks, 40);
      expect(out).toBe(`${"x".repeat(100)}${MASK}${"y".repeat(100)}${MASK}`);
    }
  });

  it("holds back at most the configured line length", () => {
    const stream = createStreamMasker(["abcdefgh"], { maxLineLength: 64 });
    const out = stream.write("z".repeat(1000));
    expect(out.length).toBeGreaterThan(900);
  });
});
