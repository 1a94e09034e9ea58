// Set by bin/bundle-cli.mjs through esbuild's `define`: a hash of the compiled code the bundle
// was made from, so it changes with any change of Slipway's code or version.
declare const SLIPWAY_BUILD_ID: string | undefined;

/**
 * The identity of the running build, or undefined when Slipway runs from its sources (tsx,
 * vitest), which have none: what is cached by it (runner/pipeline-cache.ts) is then not cached.
 */
export const BUILD_ID: string | undefined = typeof SLIPWAY_BUILD_ID === "string" ? SLIPWAY_BUILD_ID : undefined;
