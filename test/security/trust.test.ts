import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../helpers/image.js";
import { composeFile, composePipeline, ProbeLab, type ProbeResult } from "./harness.js";

/**
 * An untrusted repository (the default) gets no host-level powers in its compose stacks; a
 * trusted one keeps them. The same commits run as `sec` (untrusted) and `sec-trusted`.
 */
describe("security: trusted and untrusted repositories", () => {
  const lab = new ProbeLab();
  beforeAll(async () => {
    await lab.start([{ name: "sec-trusted", trusted: true }]);
    writeFileSync(join(lab.hostDir, "hostname"), "the-host-file\n");
  });
  afterAll(() => lab.stop());

  function expectUntrusted(r: ProbeResult, key: RegExp, at: RegExp) {
    expect(r.run.status, r.logs).toBe("failed");
    expect(r.stage("it")?.detail ?? "").toMatch(/^SLIPWAY_E_COMPOSE_UNTRUSTED: /);
    expect(r.errors).toMatch(at);
    expect(r.errors).toMatch(key);
    expect(r.errors).toContain("trusted: true");
    expect(r.errors).toContain("slipway.config.yml");
    // Refused before any stack existed: no compose output in the log.
    expect(r.logs).not.toMatch(/Creating network|Creating .*_t_/);
  }
  const probe = (name: string, compose: string, extra: Record<string, string> = {}, symlinks = {}) =>
    lab.probe(name, {
      files: { "slipway.yml": composePipeline("c.yml", "cat /host/hostname"), "c.yml": compose, ...extra },
      symlinks,
    });

  it("a host bind mount (/etc:/host:ro) names service, key and file:line:col", async () => {
    const r = await probe("bind-etc", composeFile(["volumes:", '  - "/etc:/host:ro"']));
    expectUntrusted(r, /service "t": volumes: \/etc mounts a host path outside the checkout/, /c\.yml:5:9: /);
  });

  it("privileged: true", async () => {
    const r = await probe("privileged", composeFile(["privileged: true"]));
    expectUntrusted(r, /service "t": privileged: true gives the container root on the host/, /c\.yml:4:5: /);
  });

  it("the Docker socket, long syntax (extra)", async () => {
    const r = await probe(
      "docker-sock",
      composeFile(["volumes:", "  - { type: bind, source: /var/run/docker.sock, target: /var/run/docker.sock }"]),
    );
    expectUntrusted(r, /mounts the Docker socket/, /c\.yml:5:9: /);
  });

  for (const [name, line, key] of [
    ["cap-add", "cap_add: [SYS_ADMIN]", /cap_add adds kernel capabilities/],
    ["net-host", "network_mode: host", /network_mode: host shares the host's namespace/],
    ["pid-host", "pid: host", /pid: host/],
    ["ipc-container", "ipc: container:some-other", /ipc: container:some-other shares another container's namespace/],
    ["userns-host", "userns_mode: host", /userns_mode: host/],
    ["devices", "devices: [/dev/sda:/dev/sda]", /devices gives the container host devices/],
    ["seccomp", "security_opt: [seccomp:unconfined]", /security_opt: seccomp:unconfined/],
    ["net-interpolated", "network_mode: ${NM:-host}", /network_mode: \$\{NM:-host\} uses variable interpolation/],
    ["volumes-from", "volumes_from: [container:slipway-daemon]", /volumes_from: container:slipway-daemon/],
  ] as const) {
    it(`${line} (extra)`, async () => {
      const r = await probe(name, composeFile([line]));
      expectUntrusted(r, key, /c\.yml:4:\d+: /);
    });
  }

  it("an environment's compose file gets the same rules: refused before anything is deployed", async () => {
    const r = await lab.probe("env-bind-etc", {
      files: {
        "slipway.yml": [
          "name: probe",
          "stages:",
          "  - { name: ship, deploy: staging, when: [feature] }",
          "environments:",
          "  staging: { compose: env.yml, project: probe-env-untrusted, when: [feature] }",
          "",
        ].join("\n"),
        "env.yml": composeFile(["volumes:", '  - "/etc:/host:ro"']),
      },
    });
    expect(r.run.status, r.logs).toBe("failed");
    expect(r.stage("ship")?.detail ?? "").toMatch(/^SLIPWAY_E_COMPOSE_UNTRUSTED: /);
    expect(r.errors).toMatch(/env\.yml:5:9: /);
    expect(r.errors).toContain("trusted: true");
    const leftovers = await docker("ps", "-aq", "--filter", "label=com.docker.compose.project=probe-env-untrusted");
    expect(leftovers).toBe("");
  });

  it("a bind mount through a committed symlink pointing at a host directory (extra)", async () => {
    const r = await probe(
      "bind-symlink",
      composeFile(["volumes:", '  - "./hostdir:/host:ro"']),
      {},
      { hostdir: lab.hostDir },
    );
    expectUntrusted(r, /volumes: \.\/hostdir mounts a host path outside the checkout/, /c\.yml:5:9: /);
  });

  it("secrets: file: /etc/shadow and configs: file: (extra)", async () => {
    const secrets = await probe(
      "secret-shadow",
      composeFile(["secrets: [s]"], ["secrets:", "  s: { file: /etc/shadow }"]),
    );
    expectUntrusted(secrets, /secret "s": file: \/etc\/shadow mounts a host path outside the checkout/, /c\.yml:6:8: /);
    const configs = await probe(
      "config-file",
      composeFile(["configs: [c]"], ["configs:", "  c: { file: ../../../etc/hosts }"]),
    );
    expectUntrusted(configs, /config "c": file: \.\.\/\.\.\/\.\.\/etc\/hosts/, /c\.yml:6:8: /);
  });

  it("a named volume binding a host path through driver_opts (extra)", async () => {
    const r = await probe(
      "driver-opts",
      composeFile(
        ["volumes: [v:/host]"],
        ["volumes:", "  v: { driver: local, driver_opts: { type: none, o: bind, device: /etc } }"],
      ),
    );
    expectUntrusted(r, /volume "v": driver_opts can bind any host path/, /c\.yml:6:\d+: /);
  });

  it("privileged hidden in an extended file is found there, with that file's position (extra)", async () => {
    const r = await probe("extends-privileged", composeFile(["extends: { file: base.yml, service: b }"]), {
      "base.yml": "services:\n  b:\n    image: busybox:latest\n    privileged: true\n",
    });
    expectUntrusted(r, /service "b": privileged: true/, /base\.yml:4:5: /);
  });

  it("a bind mount inside the checkout is allowed for an untrusted repository", async () => {
    const r = await probe("bind-inside", composeFile(["volumes:", '  - "./host:/host:ro"']), {
      "host/hostname": "in-the-checkout\n",
    });
    expect(r.run.status, r.logs).toBe("success");
    expect(r.logs).toContain("in-the-checkout");
  });

  it("a trusted repository keeps the freedom: the same host bind mount runs", async () => {
    const compose = composeFile(["volumes:", `  - "${lab.hostDir}:/host:ro"`]);
    lab.commit("trusted-bind", {
      files: { "slipway.yml": composePipeline("c.yml", "cat /host/hostname"), "c.yml": compose },
    });
    const untrusted = await lab.run("feature/trusted-bind");
    expect(untrusted.stage("it")?.detail ?? "").toMatch(/^SLIPWAY_E_COMPOSE_UNTRUSTED/);
    const trusted = await lab.run("feature/trusted-bind", "sec-trusted");
    expect(trusted.run.status, trusted.logs).toBe("success");
    expect(trusted.logs).toContain("the-host-file");
    expect(await lab.healthy()).toBe(true);
  });
});
