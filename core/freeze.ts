/**
 * Freezes a value and everything reachable from it, so a validated config or pipeline cannot
 * be changed by whoever holds it afterwards ("validated once at start, then frozen"). Already
 * frozen objects are not walked again, which also ends cycles.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
