import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../../engine/index.js";
import type { RunRow } from "../../../store/index.js";
import { startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { createOrigin, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const engine = new DockerEngine();
const PEM = [
  "-----BEGIN TEST KEY-----",
  "MIIBOgIBAAJBAKj34GkxFhD9",
  "0XyM7yQpW8c1BZa2lVhLkQ==",
  "-----END TEST KEY-----",
].join("\n");

function pipeline(image: string): string {
  return [
    "name: pushy",
    `image: ${image}`,
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    "  - name: leak",
    "    builder: box",
    "    commands:",
    "      - 'echo \"password: $(cat pw.txt)\"'",
    '      - printf %s "$(cat pw.txt)" | base64',
    "      - cat key.pem",
    "      - echo an unrelated line stays readable",
    "  - name: package",
    "    package: { dockerfile: Dockerfile, context: . }",
    "  - name: push",
    '    push: { tags: ["{version}", "{branch}"] }',
    "",
  ].join("\n");
}

describe("slipway serve: push stage against a real registry, secrets masked", () => {
  let registry: TestRegistry;
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let secretsDir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    secretsDir = mkdtempSync(join(tmpdir(), "slipway-secrets-"));
    writeFileSync(join(secretsDir, "key.pem"), `${PEM}\n`);
    const files = {
      Dockerfile: 'FROM busybox:latest\nCOPY pw.txt /dev/null\nCMD ["true"]\n',
      "pw.txt": `${registry.password}\n`,
      "key.pem": `${PEM}\n`,
    };
    origin = createOrigin({ ...files, "slipway.yml": pipeline(`${registry.host}/acme/pushy`) });
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: pushy",
        `    url: ${origin.bare}`,
        "registries:",
        `  - host: "${registry.host}"`,
        `    username: ${registry.username}`,
        "    password: { env: REGISTRY_PASSWORD }",
        "secrets:",
        `  - { file: ${join(secretsDir, "key.pem")} }`,
        "",
      ].join("\n"),
      { REGISTRY_PASSWORD: registry.password },
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
    await registry?.stop();
    rmSync(secretsDir, { recursive: true, force: true });
  });

  it("pushes every tag, records digests, and masks the password (plain, base64) and a multi-line secret", async () => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/pushy/runs", { ref: "develop" });
    const done = await daemon.waitForRun(body.run.id);
    expect(done.run.status, `${done.run.error} ${JSON.stringify(done.stages)}`).toBe("success");
    const push = done.stages.find((s) => s.name === "push");
    expect(push?.detail).toMatch(new RegExp(`${registry.host}/acme/pushy:develop-${body.run.number}@sha256:`));

    const basic = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
    for (const tag of [`develop-${body.run.number}`, "develop"]) {
      const head = await fetch(`http://${registry.host}/v2/acme/pushy/manifests/${tag}`, {
        method: "HEAD",
        headers: { authorization: `Basic ${basic}`, accept: "application/vnd.docker.distribution.manifest.v2+json" },
      });
      expect(head.status).toBe(200);
    }
    const audit = await daemon.ctx.store.listAuditEvents(20);
    const pushes = audit.filter((e) => e.action === "push" && e.detail?.run === body.run.id);
    expect(pushes.map((e) => e.target).sort()).toEqual([
      `${registry.host}/acme/pushy:develop`,
      `${registry.host}/acme/pushy:develop-${body.run.number}`,
    ]);
    expect(pushes.every((e) => String(e.detail?.digest).startsWith("sha256:"))).toBe(true);

    let everything = "";
    for (const stage of ["_setup", "leak", "package", "push"]) {
      everything += (await daemon.api<string>("GET", `/api/runs/${body.run.id}/logs/${stage}`)).body;
    }
    const leak = (await daemon.api<string>("GET", `/api/runs/${body.run.id}/logs/leak`)).body;
    expect(leak).toContain("password: ****");
    expect(everything).not.toContain(registry.password);
    expect(everything).not.toContain(Buffer.from(registry.password).toString("base64").replace(/=+$/, ""));
    expect(everything).not.toContain("MIIBOgIBAAJBAKj34GkxFhD9");
    expect(leak).toContain("an unrelated line stays readable");
    expect(leak).toContain("-----BEGIN TEST KEY-----"); // PEM armour is not secret, only the key's lines are
  });

  it("fails the push stage with the registry's message on bad credentials, previous tags untouched", async () => {
    await using bad = await startTestDaemon(
      [
        "repositories:",
        "  - name: pushy",
        `    url: ${origin.bare}`,
        "registries:",
        `  - host: "${registry.host}"`,
        `    username: ${registry.username}`,
        "    password: { env: REGISTRY_PASSWORD }",
        "",
      ].join("\n"),
      { REGISTRY_PASSWORD: "definitely-wrong-password" },
    );
    const { body } = await bad.api<{ run: RunRow }>("POST", "/api/repos/pushy/runs", { ref: "develop" });
    const done = await bad.waitForRun(body.run.id);
    expect(done.run.status).toBe("failed");
    const push = done.stages.find((s) => s.name === "push");
    expect(push?.status).toBe("failed");
    expect(push?.detail).toBe("SLIPWAY_E_ENGINE_PUSH_FAILED");
    const log = (await bad.api<string>("GET", `/api/runs/${body.run.id}/logs/push`)).body;
    expect(log).toMatch(/unauthorized|authentication required/i);
    expect(log).not.toContain("definitely-wrong-password");
    await bad.stop();
    expect(await engine.imageId(`${registry.host}/acme/pushy:develop`)).toBeDefined();
  });
});
