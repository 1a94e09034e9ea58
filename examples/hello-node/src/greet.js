/** The service's one piece of logic, unit-tested in test/greet.test.js. */
export function greet(name) {
  const who = String(name ?? "").trim() || "world";
  return `hello, ${who}`;
}
