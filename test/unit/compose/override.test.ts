import { describe, expect, it } from "vitest";
import { buildOverride, ComposeError, rewritePort, splitPortSpec } from "../../../compose/index.js";

const LABELS = { "io.slipway.run": "r1", "io.slipway.role": "test-stack" };

function build(source: string) {
  return buildOverride({
    file: "test/docker-compose.yml",
    source,
    projectDirectory: "/repo/test",
    project: "slipway-r1-it-0",
    labels: LABELS,
  });
}

function thrown(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ComposeError) return err;
    throw err;
  }
  throw new Error("expected a ComposeError");
}

describe("rewritePort", () => {
  it.each([
    ["9000:9000", "127.0.0.1::9000"],
    ["127.0.0.1:9000:9000", "127.0.0.1::9000"],
    ["0.0.0.0:8080:80/udp", "127.0.0.1::80/udp"],
    ["[::1]:9000:9000", "127.0.0.1::9000"],
    ["8000-8010:8000-8010", "127.0.0.1::8000-8010"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose interpolation, not JS
    ["${WEB_PORT:-8080}:80", "127.0.0.1::80"],
    ["9000", "127.0.0.1::9000"],
    [9000, "127.0.0.1::9000"],
    ["127.0.0.1::9000", "127.0.0.1::9000"],
    [{ target: 9000, published: 9000 }, "127.0.0.1::9000"],
    [{ target: 53, published: "5353", protocol: "udp", mode: "host" }, "127.0.0.1::53/udp"],
    [{ target: 80, host_ip: "0.0.0.0" }, "127.0.0.1::80"],
  ])("%j → %s", (from, to) => {
    expect(rewritePort(from).to).toBe(to);
  });

  it("reports already-safe entries as unchanged", () => {
    expect(rewritePort("127.0.0.1::9000").changed).toBe(false);
    expect(rewritePort("9000:9000").changed).toBe(true);
  });

  it("splits on field colons only", () => {
    const spec = "$" + "{A:-1}:[::1]:80"; // a compose interpolation, not a JS template
    expect(splitPortSpec(spec)).toEqual([spec.slice(0, 7), "[::1]", "80"]);
  });
});

describe("buildOverride", () => {
  const source = `
services:
  db:
    image: postgres
    labels: ["team=core"]
    volumes: [data:/var/lib/data]
  app:
    image: \${IMAGE}
    ports: ["9000:9000", {target: 9001, published: 9001}]
    labels: {tier: web}
    networks: [back]
  tools:
    image: busybox
    profiles: [debug]
networks:
  back: {}
volumes:
  data:
`;

  it("labels every service, network (including default) and named volume", () => {
    const doc = build(source).document as Record<string, Record<string, Record<string, unknown>>>;
    expect(doc.services?.db?.labels).toEqual({ team: "core", ...LABELS });
    expect(doc.services?.app?.labels).toEqual({ tier: "web", ...LABELS });
    expect(doc.networks?.default).toEqual({ labels: LABELS });
    expect(doc.networks?.back).toEqual({ labels: LABELS });
    expect(doc.volumes?.data).toEqual({ labels: LABELS });
  });

  it("rewrites fixed host ports to ephemeral loopback ports and reports them", () => {
    const stack = build(source);
    const app = (stack.document.services as Record<string, { ports: string[] }>).app;
    expect(app?.ports).toEqual(["127.0.0.1::9000", "127.0.0.1::9001"]);
    expect(stack.ports.map((p) => p.to)).toEqual(["127.0.0.1::9000", "127.0.0.1::9001"]);
    expect(stack.yaml).not.toMatch(/9000:9000/);
  });

  it("keeps one entry when two host ports map the same container port", () => {
    const stack = build(
      "services:\n  a:\n    image: x\n    ports: ['9000:9000', {target: 9000, published: 9001}, '53:53/udp']\n",
    );
    expect((stack.document.services as Record<string, { ports: string[] }>).a?.ports).toEqual([
      "127.0.0.1::9000",
      "127.0.0.1::53/udp",
    ]);
  });

  it("lists services, leaves profiled ones out of `up` and knows each service's first network", () => {
    const stack = build(source);
    expect(stack.services).toEqual(["db", "app", "tools"]);
    expect(stack.defaultServices).toEqual(["db", "app"]);
    expect(stack.primaryNetwork).toEqual({ db: "default", app: "back", tools: "default" });
  });

  it("warns about external networks and volumes and leaves them alone", () => {
    const stack = build(`
services: {a: {image: x}}
networks: {shared: {external: true}}
volumes: {cache: {external: true}}
`);
    expect(stack.warnings.join("\n")).toMatch(/network "shared" is external/);
    expect(stack.warnings.join("\n")).toMatch(/volume "cache" is external/);
    expect((stack.document.networks as Record<string, unknown>).shared).toEqual({ external: true });
  });

  it("keeps explicitly named networks and volumes per project", () => {
    const stack = build("services: {a: {image: x}}\nvolumes: {data: {name: pgdata}}\n");
    expect((stack.document.volumes as Record<string, { name: string }>).data?.name).toBe("slipway-r1-it-0_pgdata");
    expect(stack.warnings[0]).toMatch(/fixed name "pgdata"/);
  });

  it("resolves YAML merge keys and anchors", () => {
    const stack = build("x-base: &base {image: x, ports: ['80:80']}\nservices:\n  a:\n    <<: *base\n");
    expect((stack.document.services as Record<string, { ports: string[]; image: string }>).a).toMatchObject({
      image: "x",
      ports: ["127.0.0.1::80"],
    });
  });

  it("anchors a relative extends.file at the user's directory and upgrades file format 2.0", () => {
    const stack = build("version: '2'\nservices:\n  a:\n    extends: {file: common.yml, service: base}\n");
    expect(stack.document.version).toBe("2.1");
    expect((stack.document.services as Record<string, { extends: { file: string } }>).a?.extends.file).toBe(
      "/repo/test/common.yml",
    );
  });

  it("refuses container_name with the service and its file:line:column", () => {
    const err = thrown(() => build("services:\n  db:\n    image: x\n  web:\n    image: y\n    container_name: web\n"));
    expect(err.code).toBe("SLIPWAY_E_COMPOSE_CONTAINER_NAME");
    expect(err.service).toBe("web");
    expect(err.position).toEqual({ file: "test/docker-compose.yml", line: 6, column: 5 });
    expect(err.message).toMatch(/^test\/docker-compose\.yml:6:5: service "web" sets container_name/);
  });

  it("reports invalid YAML and a file without services as SLIPWAY_E_COMPOSE_FILE", () => {
    const bad = thrown(() => build("services:\n  a: [\n"));
    expect(bad.code).toBe("SLIPWAY_E_COMPOSE_FILE");
    expect(bad.position?.line).toBeGreaterThan(0);
    expect(thrown(() => build("version: '1'\nweb: {image: x}\n")).code).toBe("SLIPWAY_E_COMPOSE_FILE");
  });
});
