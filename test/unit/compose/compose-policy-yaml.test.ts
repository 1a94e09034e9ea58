import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkComposePolicy } from "../../../compose/index.js";

/** The compose policy reads every file through core's YamlSource (`compose: true`). */
describe("checkComposePolicy reads compose YAML through the one toolkit", () => {
  let checkout: string;
  beforeEach(() => {
    checkout = mkdtempSync(join(tmpdir(), "slipway-policy-yaml-"));
  });
  afterEach(() => rmSync(checkout, { recursive: true, force: true }));

  const check = async (text: string, trusted = false) => {
    writeFileSync(join(checkout, "compose.yml"), text);
    try {
      await checkComposePolicy({ checkout, file: join(checkout, "compose.yml"), trusted });
      return "ok";
    } catch (err) {
      return `${(err as { code?: string }).code}: ${(err as Error).message}`;
    }
  };

  it("a syntax error is SLIPWAY_E_COMPOSE_FILE at file:line:column", async () => {
    expect(await check('services:\n  app:\n    image: "unclosed\n')).toMatch(
      /^SLIPWAY_E_COMPOSE_FILE: compose\.yml:\d+:\d+: not valid YAML: Missing closing "quote/,
    );
  });

  it("a repeated key is refused too, as before", async () => {
    expect(await check("services:\n  app: { image: a }\n  app: { image: b }\n")).toMatch(
      /^SLIPWAY_E_COMPOSE_FILE: compose\.yml:3:3: not valid YAML: duplicate key/,
    );
  });

  it("merge keys apply, so a privileged setting inherited through `<<:` is still found, at its line", async () => {
    const text = "x-base: &base\n  privileged: true\nservices:\n  app:\n    <<: *base\n    image: busybox\n";
    expect(await check(text)).toMatch(/^SLIPWAY_E_COMPOSE_UNTRUSTED: compose\.yml:\d+:\d+: service "app": privileged/);
    expect(await check(text, true)).toBe("ok");
  });
});
