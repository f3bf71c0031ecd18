// Exhaustiveness: the `default:` of a switch over a union calls this with the value narrowed to
// `never`, so a member added to the union and not handled fails to compile.

/** Throws for a value the types say cannot exist (data from outside that bypassed validation). */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
