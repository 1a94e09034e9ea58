import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a receiver got: headers and the raw body, as the sender wrote them. */
export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver extends AsyncDisposable {
  url: string;
  received: Received[];
  /** The status (and optional delay) of the next answers; after the list runs out, 204. */
  answers: { status: number; delayMs?: number; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1 (port chosen by the OS) that records every request and
 * answers as told: the other end of an outbound webhook in tests.
 */
export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const answers: Receiver["answers"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        at: Date.now(),
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = answers.shift() ?? { status: 204 };
      const reply = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.status === 204 ? undefined : `status ${answer.status}`);
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    received,
    answers,
    close,
    [Symbol.asyncDispose]: close,
  };
}
