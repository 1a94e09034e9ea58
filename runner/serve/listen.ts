import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ListenAddress } from "../../config/index.js";
import { SlipwayError } from "../../core/index.js";
import { API_ERROR } from "./api-errors.js";

/** The codes `slipway serve` reports for its own start-up (docs/config.md lists them). */
export const SERVE_ERROR_CODES = {
  SLIPWAY_E_SERVE_ADDRESS_IN_USE: "The listen address is already bound by another process.",
  SLIPWAY_E_SERVE_LISTEN: "The listen address cannot be bound (not an address of this host, or a privileged port).",
  SLIPWAY_E_SERVE_UNEXPECTED: "An error nothing expected (a bug); logged, counted, and the run it belongs to failed.",
} as const;

export type ServeErrorCode = keyof typeof SERVE_ERROR_CODES;

/** A start-up or runtime failure of the daemon itself, with a stable code (exit code 1). */
export class ServeError extends SlipwayError<ServeErrorCode> {
  constructor(code: ServeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Node's HTTP limits, kept explicit: a header block over 16 KiB is answered 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Binds the listen address before the daemon creates or opens anything, so a busy port or an
 * address that is not this host's ends start-up with a coded error and no data dir, lock or
 * store file left behind. Requests that arrive before the API is ready get 503.
 */
export async function bindListen(address: ListenAddress): Promise<Server> {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  const starting = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
    res.end(
      JSON.stringify({ error: API_ERROR.STARTING, code: API_ERROR.STARTING, message: "slipway serve is starting" }),
    );
  };
  server.on("request", starting);
  const shown = address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(
          new ServeError(
            "SLIPWAY_E_SERVE_ADDRESS_IN_USE",
            `cannot listen on ${shown}: another process already uses it (is another slipway serve running?); choose another port with listen: or SLIPWAY_LISTEN`,
            { cause: err },
          ),
        );
      } else {
        const why =
          err.code === "EACCES"
            ? "permission denied (ports below 1024 need privileges)"
            : err.code === "EADDRNOTAVAIL"
              ? "that address is not one of this host's"
              : err.code === "ENOTFOUND" || err.code === "EAI_AGAIN"
                ? "the host name does not resolve"
                : `${err.code ?? "error"}: ${err.message}`;
        reject(new ServeError("SLIPWAY_E_SERVE_LISTEN", `cannot listen on ${shown}: ${why}`, { cause: err }));
      }
    });
    server.listen({ host: address.host, port: address.port }, () => resolve());
  });
  // Once fastify takes over, the placeholder handler goes (see `takeOver`).
  (server as StartingServer).slipwayStarting = starting;
  return server;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type StartingServer = Server & { slipwayStarting?: Handler; slipwayPending?: Handler };

/**
 * Fastify's `serverFactory`: remembers fastify's request handler without installing it. fastify
 * calls the factory when the app is created, long before its routes are ready; a request
 * handed to it then throws inside fastify and is never answered. `openForRequests` swaps the
 * 503 placeholder for it once `app.ready()` has resolved.
 */
export function takeOver(server: Server, handler: Handler): Server {
  (server as StartingServer).slipwayPending = handler;
  return server;
}

/** After `app.ready()`: requests go to fastify from now on. */
export function openForRequests(server: Server): void {
  const s = server as StartingServer;
  if (!s.slipwayPending) return;
  if (s.slipwayStarting) server.off("request", s.slipwayStarting);
  server.on("request", s.slipwayPending);
  s.slipwayStarting = undefined;
  s.slipwayPending = undefined;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
