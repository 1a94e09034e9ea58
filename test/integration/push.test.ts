import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, type EngineError } from "../../engine/index.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const engine = new DockerEngine();

describe("pushImage against a real registry with htpasswd auth", () => {
  let registry: TestRegistry;
  let ref: string;
  beforeAll(async () => {
    registry = await startRegistry();
    ref = `${registry.host}/slipway-test/box:push-${process.pid}`;
    await engine.tagImage((await engine.imageId("busybox:latest")) ?? "", ref);
  });
  afterAll(async () => {
    await engine.removeImage(ref);
    await registry.stop();
  });

  it("pushes with credentials and returns the manifest digest the registry serves", async () => {
    const lines: string[] = [];
    const auth = { username: registry.username, password: registry.password, serveraddress: registry.host };
    const { digest } = await engine.pushImage(ref, auth, (l) => lines.push(l));
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.join("\n")).not.toContain(registry.password);
    const basic = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
    const head = await fetch(`http://${registry.host}/v2/slipway-test/box/manifests/push-${process.pid}`, {
      method: "HEAD",
      headers: {
        authorization: `Basic ${basic}`,
        accept: "application/vnd.docker.distribution.manifest.v2+json",
      },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(digest);
  });

  it("fails with the registry's message on bad credentials, without echoing the password", async () => {
    const bad = { username: registry.username, password: "wrong-password-123", serveraddress: registry.host };
    const err = (await engine.pushImage(ref, bad).catch((e: unknown) => e)) as EngineError;
    expect(err.code).toBe("SLIPWAY_E_ENGINE_PUSH_FAILED");
    expect(err.message).toMatch(/unauthorized|authentication required|no basic auth/i);
    expect(err.message).not.toContain("wrong-password-123");
  });
});
