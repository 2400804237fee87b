/** Exhaustiveness guard for discriminated-union switches. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
