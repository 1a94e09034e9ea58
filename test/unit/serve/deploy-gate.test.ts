import { describe, expect, it } from "vitest";
import { DeployGate } from "../../../runner/serve/deploy-gate.js";

describe("DeployGate", () => {
  it("lets deployments of one repository in one at a time, in order", async () => {
    const gate = new DeployGate();
    const order: string[] = [];
    const first = await gate.enter("app", 1);
    order.push("1 in");
    const second = gate.enter("app", 2).then((t) => {
      order.push("2 in");
      return t;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(["1 in"]);
    order.push("1 out");
    first.release();
    const t2 = await second;
    expect(order).toEqual(["1 in", "1 out", "2 in"]);
    expect(t2.superseded).toBeUndefined();
    t2.release();
  });

  it("supersedes an older waiting deployment when a newer one queues behind it", async () => {
    const gate = new DeployGate();
    const holder = await gate.enter("app", 5);
    const older = gate.enter("app", 6);
    const newer = gate.enter("app", 7);
    holder.release();
    const t6 = await older;
    expect(t6.superseded).toBe(7);
    t6.release();
    const t7 = await newer;
    expect(t7.superseded).toBeUndefined();
    t7.release();
  });

  it("deploys a retry of an older run after a newer one has finished (nothing newer is waiting)", async () => {
    const gate = new DeployGate();
    const ten = await gate.enter("app/staging", 10);
    ten.release();
    const nine = await gate.enter("app/staging", 9);
    expect(nine.superseded).toBeUndefined();
    nine.release();
  });

  it("keeps repositories independent", async () => {
    const gate = new DeployGate();
    const a = await gate.enter("a", 1);
    const b = await gate.enter("b", 1);
    expect(a.superseded).toBeUndefined();
    expect(b.superseded).toBeUndefined();
    a.release();
    b.release();
  });
});
