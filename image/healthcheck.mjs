// HEALTHCHECK of the self-hosted image: healthy while GET /healthz answers 200 (the store and
// the engine both reachable). The port is the one $SLIPWAY_LISTEN gives the daemon.
const listen = process.env.SLIPWAY_LISTEN || "0.0.0.0:8080";
const port = listen.slice(listen.lastIndexOf(":") + 1);
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
