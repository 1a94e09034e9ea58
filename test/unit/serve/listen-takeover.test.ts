import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { bindListen, closeServer, openForRequests, takeOver } from "../../../runner/serve/listen.js";

/**
 * fastify receives the bound server through its `serverFactory` when the app is created, before
 * its routes are ready. Until `openForRequests` (called after `app.ready()`), requests must keep
 * getting the 503 placeholder: handed to fastify early, they used to hang unanswered.
 */
describe("bindListen / takeOver / openForRequests", () => {
  it("answers 503 until the API is opened, then hands requests to it", async () => {
    const server = await bindListen({ host: "127.0.0.1", port: 0 });
    try {
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/healthz`;
      takeOver(server, (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("api");
      });
      const early = await fetch(url);
      expect(early.status).toBe(503);
      expect(((await early.json()) as { error: string }).error).toBe("SLIPWAY_E_API_STARTING");
      openForRequests(server);
      const later = await fetch(url);
      expect(later.status).toBe(200);
      expect(await later.text()).toBe("api");
    } finally {
      await closeServer(server);
    }
  });
});
