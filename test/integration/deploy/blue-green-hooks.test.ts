import { describe, expect, it } from "vitest";
import { deployVersion, isDeployError } from "../../../deploy/index.js";
import { BlueGreenEnvironment } from "./blue-green-helpers.js";
import { appImage, sample } from "./helpers.js";

// Two replicas of the app per colour behind Slipway's proxy, plus a hook service with
// `profiles:` (never part of `up`). The hook asks `app` of its own compose project for its
// version (busybox wget: its -T crashes), so its output says which colour's project it ran in and what served there.
const COMPOSE = `services:
  app:
    image: \${IMAGE}
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
      interval: 500ms
      timeout: 2s
      retries: 2
    deploy: { replicas: 2, update_config: { monitor: 1s } }
  migrate:
    image: \${IMAGE}
    profiles: [hooks]
    environment: ["FAIL_PRE=\${FAIL_PRE:-0}", "FAIL_POST=\${FAIL_POST:-0}"]
`;

const SAY = `env=$SLIPWAY_ENV old=$SLIPWAY_OLD_VERSION new=$SLIPWAY_NEW_VERSION image=$(cat /www/version) app=$(wget -q -O- http://app:8080/version || echo none)`;
const HOOKS = `    hooks:
      pre_deploy:
        service: migrate
        command: 'echo "pre ${SAY}"; test "$FAIL_PRE" != 1'
      post_deploy:
        service: migrate
        command: 'echo "post ${SAY}"; test "$FAIL_POST" != 1'
`;

describe("deploy hooks under blue-green", () => {
  it("pre_deploy runs in the serving colour before the idle one is touched, post_deploy in the new colour after the switch; a failing pre hook changes nothing", async () => {
    await using env = await BlueGreenEnvironment.create({ compose: COMPOSE, hooks: HOOKS });
    const [v1, v2, v3, v4] = [await appImage("v1"), await appImage("v2"), await appImage("v3"), await appImage("v4")];
    const log = () => env.lines.join("\n");

    // First deployment: nothing serves, so pre_deploy runs in blue (the colour being deployed).
    const first = await deployVersion(env.target("v1", v1), env.options());
    expect(first).toMatchObject({ status: "success", spec: { colour: "blue" } });
    expect(log()).toContain("pre env=production old= new=v1 image=v1 app=none");
    expect(log()).toContain("post env=production old= new=v1 image=v1 app=v1");

    env.lines.length = 0;
    const second = await deployVersion(env.target("v2", v2), env.options());
    expect(second).toMatchObject({ status: "success", version: "v2", spec: { colour: "green" } });
    // The pre hook ran from the new image, in blue's project (blue's app answered v1) ...
    const pre = log().indexOf("pre env=production old=v1 new=v2 image=v2 app=v1");
    expect(pre).toBeGreaterThanOrEqual(0);
    // ... before green was touched; the post hook ran in green (its app answered v2) after the switch.
    const up = log().search(new RegExp(`${env.project}-green[_-]app[_-]1`));
    const switched = log().indexOf("switched blue → green");
    const post = log().indexOf("post env=production old=v1 new=v2 image=v2 app=v2");
    expect(up).toBeGreaterThan(pre);
    expect(switched).toBeGreaterThan(up);
    expect(post).toBeGreaterThan(switched);
    expect(await env.colourImages("blue")).toEqual([v1, v1]);

    // A failing pre hook: nothing changed, green keeps serving v2, blue still runs v1.
    const url = await env.url();
    const err = await deployVersion(env.target("v3", v3, { FAIL_PRE: "1" }), env.options()).catch((e: unknown) => e);
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_HOOK_FAILED")).toBe(true);
    expect((err as Error).message).toMatch(/^pre_deploy hook failed/);
    expect(await env.activeColour()).toBe("green");
    expect(await env.colourImages("green")).toEqual([v2, v2]);
    expect(await env.colourImages("blue")).toEqual([v1, v1]);
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v2"]));
    const [failed] = await env.store.deployments.listDeployments(env.key);
    expect(failed).toMatchObject({ version: "v3", status: "failed", spec: { colour: "blue" } });
    // The outcome carries the hook's exit code and its output.
    expect(failed?.outcome).toMatch(
      /pre_deploy hook failed: .*exit 1.*pre env=production old=v2 new=v3 image=v3 app=v2/,
    );
    expect(failed?.outcome).toMatch(/nothing was changed$/);
    expect(await env.store.deployments.listBatches(failed?.id ?? "")).toEqual([]);

    // A failing post hook (as under rolling): the new colour serves, the deployment stays success, the caller fails.
    const bad = await deployVersion(env.target("v4", v4, { FAIL_POST: "1" }), env.options()).catch((e: unknown) => e);
    expect(isDeployError(bad, "SLIPWAY_E_DEPLOY_HOOK_FAILED")).toBe(true);
    expect((bad as Error).message).toMatch(/v4 is serving, but the post_deploy hook failed/);
    expect(await env.activeColour()).toBe("blue");
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v4"]));
    const [latest] = await env.store.deployments.listDeployments(env.key);
    expect(latest).toMatchObject({ version: "v4", status: "success", spec: { colour: "blue" } });
    expect(latest?.outcome).toMatch(/v4 serves on blue.*post_deploy hook failed/);
  });
});
