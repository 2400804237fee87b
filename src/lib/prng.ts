/** @module A small deterministic PRNG (mulberry32): the same sequence on every platform, so a seeded run (lab verify cases, sim churn, randomized tests and benches) can be replayed from its seed. */

/** Numbers in [0, 1) from SEED (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
