/**
 * The TypeScript type a JSON schema describes, for the subset the API's schemas use: `type`
 * (one or a list, so `["string", "null"]` is nullable), `enum`, `const`, `anyOf`, objects with
 * `properties` / `required` / `additionalProperties`, and arrays with `items`. The server
 * validates with the schema object and the dashboard's client gets its type from the same
 * object, so the two cannot drift apart.
 */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly const: infer C }
    ? C
    : S extends { readonly anyOf: readonly (infer A)[] }
      ? FromSchema<A>
      : S extends { readonly type: readonly (infer T)[] }
        ? EachType<S, T>
        : S extends { readonly type: infer T }
          ? OfType<S, T>
          : unknown;

type EachType<S, T> = T extends unknown ? OfType<S, T> : never;

type OfType<S, T> = T extends "string"
  ? string
  : T extends "integer" | "number"
    ? number
    : T extends "boolean"
      ? boolean
      : T extends "null"
        ? null
        : T extends "array"
          ? S extends { readonly items: infer I }
            ? FromSchema<I>[]
            : unknown[]
          : T extends "object"
            ? ObjectOf<S>
            : unknown;

type Required<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<S> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends Required<S> ? K : never]: FromSchema<P[K]> } & {
        -readonly [K in keyof P as K extends Required<S> ? never : K]?: FromSchema<P[K]>;
      } & (S extends { readonly additionalProperties: true } ? Record<string, unknown> : unknown)
    >
  : S extends { readonly additionalProperties: infer V }
    ? V extends true
      ? Record<string, unknown>
      : Record<string, FromSchema<V>>
    : Record<string, unknown>;
