import { createServer } from "node:http";
import { greet } from "./greet.js";

const version = process.env.APP_VERSION ?? "dev";
const port = Number(process.env.PORT ?? 8080);

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  } else if (url.pathname === "/hello") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: greet(url.searchParams.get("name")), version }));
  } else {
    res.writeHead(404).end();
  }
});
server.listen(port, () => console.log(`hello-node ${version} listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
