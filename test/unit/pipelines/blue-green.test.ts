import { describe, expect, it } from "vitest";
import { activeInMap, upServers } from "../../../deploy/index.js";
import { parsePipeline } from "../../../pipelines/index.js";

const pipeline = (env: string) => `name: x
image: r/x
environments:
  prod:
    compose: c.yml
${env
  .split("\n")
  .map((l) => `    ${l}`)
  .join("\n")}
stages:
  - { name: deploy, deploy: prod }
`;

function problems(env: string): string[] {
  const result = parsePipeline(pipeline(env), "slipway.yml");
  return result.problems.map((p) => `${p.line}:${p.column} ${p.code.replace("SLIPWAY_E_PIPELINE_", "")} ${p.path}`);
}

describe("environments.<name>.blue_green", () => {
  it("reads service, port, publish, smoke and scale_down_after (default 10m)", () => {
    const result = parsePipeline(
      pipeline(
        'strategy: blue-green\nblue_green: { service: web, port: 8080, publish: "127.0.0.1:8081", smoke: "true" }',
      ),
      "slipway.yml",
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.pipeline.environments.prod?.blueGreen).toEqual({
      service: "web",
      port: 8080,
      publish: { hostIp: "127.0.0.1", hostPort: 8081 },
      smoke: ["true"],
      scaleDownAfterSeconds: 600,
    });
  });

  it("binds every interface when publish names only a port, and takes an argv smoke and a duration", () => {
    const result = parsePipeline(
      pipeline(
        "strategy: blue-green\nblue_green: { service: web, port: 80, publish: 80, smoke: [curl, -f, x], scale_down_after: 0 }",
      ),
      "slipway.yml",
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.pipeline.environments.prod?.blueGreen).toMatchObject({
      publish: { hostIp: "0.0.0.0", hostPort: 80 },
      smoke: ["curl", "-f", "x"],
      scaleDownAfterSeconds: 0,
    });
  });

  it("refuses blue-green without the section, the section under another strategy, and bad values", () => {
    expect(problems("strategy: blue-green")).toEqual(["6:15 REQUIRED environments.prod.strategy"]);
    expect(problems("strategy: rolling\nblue_green: { service: web, port: 80, publish: 80 }")).toEqual([
      "7:5 BAD_VALUE environments.prod.blue_green",
    ]);
    expect(
      problems('strategy: blue-green\nblue_green: { service: web, port: 70000, publish: "localhost:80", color: x }'),
    ).toEqual([
      "7:39 BAD_VALUE environments.prod.blue_green.port",
      "7:55 BAD_VALUE environments.prod.blue_green.publish",
      "7:71 UNKNOWN_KEY environments.prod.blue_green.color",
    ]);
    expect(problems("strategy: blue-green\nblue_green: { port: 80, publish: 80 }")).toEqual([
      "7:17 REQUIRED environments.prod.blue_green.service",
    ]);
  });
});

describe("proxy runtime API output", () => {
  it("counts UP servers per backend in `show stat`", () => {
    const csv = [
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight",
      "web,FRONTEND,,,0,1,,,,,,,,,,,,OPEN,",
      "blue,s1,0,0,0,1,,,,,,,,,,,,UP,1",
      "blue,s2,0,0,0,1,,,,,,,,,,,,MAINT (resolution),1",
      "blue,BACKEND,0,0,0,1,,,,,,,,,,,,UP,1",
      "green,s1,0,0,0,1,,,,,,,,,,,,DOWN,1",
      "green,s2,0,0,0,1,,,,,,,,,,,,UP 1/2,1",
    ].join("\n");
    expect(upServers(csv)).toEqual({ blue: 1, green: 1 });
    expect(upServers("")).toEqual({});
  });

  it("reads the active colour from `show map`", () => {
    expect(activeInMap("0x5581c0a1e2f0 active green\n")).toBe("green");
    expect(activeInMap("0x1 active purple\n")).toBeUndefined();
    expect(activeInMap("")).toBeUndefined();
  });
});
