/** Public surface of `secrets/`: masking secret values in build output. */
export { MIN_SECRET_LENGTH, MIN_SECRET_LINE_LENGTH, maskForms } from "./forms.js";
export { type CompiledMasker, compileMasker, createMasker, MASK, type Masker } from "./masker.js";
export { createStreamMasker, type StreamMasker, type StreamMaskerOptions } from "./stream-masker.js";
