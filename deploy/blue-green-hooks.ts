import type { BlueGreenPlan, Colour } from "./blue-green-plan.js";
import type { Colours } from "./blue-green-run.js";
import type { EnvironmentCompose } from "./compose-target.js";
import type { HookName } from "./hooks.js";

/**
 * The colour whose compose project runs a deploy hook's one-off container under blue-green.
 * `pre_deploy` runs before the idle colour is touched, so in the colour that serves (its
 * `depends_on` services, a database, are up there); on a first deployment nothing serves and
 * it runs in the colour about to be deployed. `post_deploy` runs after the switch, in the
 * colour that now serves.
 */
export function hookColour(plan: BlueGreenPlan, name: HookName): Colour {
  if (name === "post_deploy") return plan.colour;
  const change = plan.steps.find((s) => s.kind === "switch");
  // No switch: the serving colour already runs the version (plan.colour is the serving one).
  return change?.kind === "switch" ? (change.from ?? plan.colour) : plan.colour;
}

/**
 * The hook's compose, ready for `compose run`: each colour's file puts its entry service on
 * the proxy's (external) network, which compose insists exists even for another service; it
 * does not before the first deployment, so it is created here, empty (no proxy, no traffic).
 */
export async function hookCompose(colours: Colours, plan: BlueGreenPlan, name: HookName): Promise<EnvironmentCompose> {
  await colours.proxy.ensureNetwork();
  return colours.compose[hookColour(plan, name)];
}
