import { describe, expect, it } from "vitest";
import { createMasker, MASK, maskForms } from "../../../secrets/index.js";

/** What the masker hides, what it leaves alone, and that it stays fast. */

const b64 = (s: string) => Buffer.from(s).toString("base64");

const PEM = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACDx2y+2Q3Lq7n5K0b8c9d1e2f3a4b5c6d7e8f9a0b1c2dAAAAJgp9Kq2qfSq",
  "Zw==",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

describe("createMasker", () => {
  it("masks every exact occurrence", () => {
    const mask = createMasker(["s3cr3t-t0ken"]);
    expect(mask("token=s3cr3t-t0ken and again s3cr3t-t0ken.")).toBe(`token=${MASK} and again ${MASK}.`);
    expect(mask("nothing to see")).toBe("nothing to see");
  });

  it("masks standard base64, padded or not", () => {
    const secret = "hunter2-but-longer!";
    const mask = createMasker([secret]);
    expect(b64(secret)).toMatch(/=$/);
    expect(mask(`echo ${b64(secret)}`)).toBe(`echo ${MASK}`);
    expect(mask(`echo ${b64(secret).replace(/=+$/, "")}!`)).toBe(`echo ${MASK}!`);
  });

  it("masks URL-safe base64", () => {
    const secret = "\u00fb\u00ff\u00bea?>~"; // encodes with + and / in standard base64
    const standard = b64(secret);
    expect(standard).toMatch(/[+/]/);
    const urlSafe = standard.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    expect(createMasker([secret])(`jwt part ${urlSafe} end`)).toBe(`jwt part ${MASK} end`);
  });

  it("masks base64 of the secret followed by more data, where the last characters differ", () => {
    const secret = "correct-horse-batter"; // 20 bytes: not a multiple of 3
    const mask = createMasker([secret]);
    const followed = b64(`${secret}@example.com`);
    expect(followed.startsWith(b64(secret).replace(/=+$/, ""))).toBe(false);
    expect(mask(followed)).toMatch(/^\*{4}[A-Za-z0-9+/]{1,24}={0,2}$/);
    // `echo "$SECRET" | base64`: a newline's high bits are zero, so the unpadded form matches.
    expect(mask(b64(`${secret}\n`))).toMatch(/^\*{4}/);
  });

  it("masks base64 of user:password when the caller passes the combination", () => {
    const mask = createMasker(["p4ssw0rd!", "ci-bot:p4ssw0rd!"]);
    expect(mask(`Authorization: Basic ${b64("ci-bot:p4ssw0rd!")}`)).toBe(`Authorization: Basic ${MASK}`);
  });

  it("masks percent-encoded and JSON-escaped forms", () => {
    const mask = createMasker(['p@ss/"word"']);
    expect(mask("https://bob:p%40ss%2F%22word%22@git.example.com")).toBe(`https://bob:${MASK}@git.example.com`);
    expect(mask('{"password":"p@ss/\\"word\\""}')).toBe(`{"password":"${MASK}"}`);
  });

  it("masks each significant line of a multi-line secret and leaves unrelated lines alone", () => {
    const mask = createMasker([PEM]);
    const [begin, line1, line2, short, end] = PEM.split("\n") as [string, string, string, string, string];
    expect(mask(line1)).toBe(MASK);
    expect(mask(`    ${line2}`)).toBe(`    ${MASK}`);
    // Armour and short lines are not secret and appear in unrelated output.
    expect(mask(begin)).toBe(begin);
    expect(mask(end)).toBe(end);
    expect(mask(short)).toBe(short);
    expect(mask("Step 3/7 : RUN go build ./...")).toBe("Step 3/7 : RUN go build ./...");
    expect(mask("")).toBe("");
  });

  it("masks a whole multi-line secret in base64 (a Kubernetes secret) and JSON-escaped", () => {
    const mask = createMasker([PEM]);
    expect(mask(`key: ${b64(PEM)}`)).toBe(`key: ${MASK}`);
    expect(mask(JSON.stringify({ key: PEM }))).toBe(`{"key":"${MASK}"}`);
  });

  it("treats a secret with only a trailing newline as single-line", () => {
    expect(createMasker(["abc123\n"])("x abc123 y")).toBe(`x ${MASK} y`);
  });

  it("masks a secret containing another completely, in any order", () => {
    for (const secrets of [
      ["token", "token-extended-part"],
      ["token-extended-part", "token"],
    ]) {
      expect(createMasker(secrets)("a token-extended-part b token c")).toBe(`a ${MASK} b ${MASK} c`);
    }
  });

  it("masks overlapping secrets as one span, leaking no part of either", () => {
    const mask = createMasker(["abcdefgh", "efghijkl"]);
    expect(mask("xxabcdefghijklyy")).toBe(`xx${MASK}yy`);
    expect(mask("abcdefgh efghijkl")).toBe(`${MASK} ${MASK}`);
  });

  it("matches secrets with regular-expression characters literally", () => {
    const secrets = ["a.b*c+d?", "(x|y)[z]{2}", "$1\\n^end$", "pass.word"];
    const mask = createMasker(secrets);
    expect(mask("a.b*c+d? (x|y)[z]{2} $1\\n^end$")).toBe(`${MASK} ${MASK} ${MASK}`);
    // `.` is not a wildcard.
    expect(mask("passXword")).toBe("passXword");
  });

  it("ignores secrets shorter than 3 characters and empty lists", () => {
    expect(createMasker(["", "a", "ab"])("a ab abc")).toBe("a ab abc");
    expect(createMasker([])("anything")).toBe("anything");
    expect(createMasker(["abc"])("a ab abc")).toBe(`a ab ${MASK}`);
  });

  it("does not leak the secret's length", () => {
    const mask = createMasker(["short-one", "a-much-much-longer-secret-value"]);
    expect(mask("short-one")).toBe(mask("a-much-much-longer-secret-value"));
  });
});

describe("maskForms", () => {
  it("lists the secret and its encodings without duplicates", () => {
    const forms = maskForms("abcdef");
    expect(forms).toContain("abcdef");
    expect(forms).toContain(b64("abcdef"));
    expect(new Set(forms).size).toBe(forms.length);
  });

  it("lists no line shorter than 8 characters or armour for a multi-line secret", () => {
    const forms = maskForms(PEM);
    expect(forms).not.toContain("Zw==");
    for (const armour of PEM.split("\n").filter((l) => l.startsWith("-----"))) expect(forms).not.toContain(armour);
    expect(forms.every((f) => !f.includes("\n"))).toBe(true);
  });
});

describe("performance", () => {
  it("masks 10k lines against 20 secrets quickly", () => {
    const secrets = Array.from({ length: 20 }, (_, i) => `secret-${i}-${"x".repeat(i + 10)}`);
    const mask = createMasker(secrets);
    const lines = Array.from({ length: 10_000 }, (_, i) =>
      i % 100 === 0 ? `line ${i}: leaked ${secrets[i % 20]} here` : `line ${i}: ${"ordinary build output ".repeat(4)}`,
    );
    const started = performance.now();
    let masked = 0;
    for (const line of lines) if (mask(line).includes(MASK)) masked++;
    const ms = performance.now() - started;
    console.log(
      `masked 10000 lines x 20 secrets (${maskForms(secrets[0] ?? "").length} forms each) in ${ms.toFixed(1)} ms`,
    );
    expect(masked).toBe(100);
  });
});
