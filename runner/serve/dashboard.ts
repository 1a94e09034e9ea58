import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { API_ERROR, sendError } from "./api-errors.js";

/**
 * The built dashboard (`npm run build:ui` writes it to `dashboard/dist` at the package root):
 * two levels up from this file when run from source, three from the compiled `dist/runner/serve/`.
 */
export const DASHBOARD_DIST =
  ["../../dashboard/dist/", "../../../dashboard/dist/"]
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((dir) => existsSync(`${dir}index.html`)) ?? fileURLToPath(new URL("../../dashboard/dist/", import.meta.url));

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Slipway</title>
<main><h1>Slipway</h1><p>The dashboard is not built: run <code>npm run build:ui</code>. The API is under <a href="/api/openapi.json">/api</a>.</p></main></html>`;

/**
 * Serves the dashboard at `/`: hashed assets from dashboard/dist, and index.html for every other
 * GET outside /api (the app routes in the browser), so a page's address can be reloaded or shared.
 * Unknown /api routes and other methods keep the API's JSON 404.
 */
export async function registerDashboard(app: FastifyInstance, dist = DASHBOARD_DIST): Promise<void> {
  const built = existsSync(`${dist}index.html`);
  if (built) {
    await app.register(fastifyStatic, { root: dist, prefix: "/", index: false, wildcard: false, schemaHide: true });
  }
  // Every other GET outside /api is a page of the app; under /api it stays the API's JSON 404.
  app.get("/*", { schema: { hide: true } }, (req, reply) => {
    if (req.url === "/api" || req.url.startsWith("/api/")) {
      return sendError(reply, API_ERROR.NOT_FOUND, `no route ${req.method} ${req.url.slice(0, 200)}`);
    }
    reply.header("content-type", "text/html; charset=utf-8").header("cache-control", "no-cache");
    return built ? reply.sendFile("index.html") : reply.send(NOT_BUILT);
  });
}
