import { describe, expect, it } from "vitest";
import { COMPOSE_ERROR_CODES, ComposeError, parseWaitChecks, probeScript } from "../../../compose/index.js";

describe("wait checks", () => {
  const services = ["db", "app"];

  it("parses tcp and http entries", () => {
    expect(parseWaitChecks(["db:3306"], ["http://app:8080/healthz"], services)).toEqual([
      { kind: "tcp", service: "db", port: 3306, spec: "db:3306" },
      { kind: "http", service: "app", port: 8080, spec: "http://app:8080/healthz", url: "http://app:8080/healthz" },
    ]);
  });

  it("keeps the case of service names (compose service names are case-sensitive)", () => {
    const checks = parseWaitChecks(["MyDb:3306"], ["http://WebApp:8080/Health?x=1"], ["MyDb", "WebApp"]);
    expect(checks.map((c) => c.service)).toEqual(["MyDb", "WebApp"]);
    expect(checks[1]?.url).toBe("http://WebApp:8080/Health?x=1");
    expect(() => parseWaitChecks([], ["http://webapp:8080/"], ["WebApp"])).toThrow(/does not define/);
    expect(probeScript(checks, 5)).toContain("wget -q -O /dev/null 'http://WebApp:8080/Health?x=1'");
  });

  it.each([
    [["db"], []],
    [["db:port"], []],
    [[], ["https://app:443/"]],
    [[], ["not a url"]],
    [["cache:6379"], []],
  ])("rejects tcp %j http %j with SLIPWAY_E_COMPOSE_CONFIG", (tcp, http) => {
    try {
      parseWaitChecks(tcp, http, services);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ComposeError);
      expect((err as ComposeError).code).toBe("SLIPWAY_E_COMPOSE_CONFIG");
    }
  });

  it("probes over the stack network with busybox tools and a deadline", () => {
    const script = probeScript(parseWaitChecks(["db:3306"], ["http://app:8080/x?a='b'"], services), 30);
    expect(script).toContain("deadline=$(( $(date +%s) + 30 ))");
    expect(script).toContain("nc -w 1 'db' 3306 -e true");
    expect(script).toContain(`timeout 5 wget -q -O /dev/null 'http://app:8080/x?a=%27b%27'`);
  });
});

describe("error codes", () => {
  it("are all SLIPWAY_E_COMPOSE_* with a description", () => {
    for (const [code, text] of Object.entries(COMPOSE_ERROR_CODES)) {
      expect(code).toMatch(/^SLIPWAY_E_COMPOSE_[A-Z_]+$/);
      expect(text.length).toBeGreaterThan(20);
    }
  });
});
