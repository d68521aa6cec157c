/**
 * The one seeded random-number generator of Homeostat: mulberry32, a tiny 32-bit generator whose
 * stream is fixed by its seed, so exploration in the policy engine, the simulator's events and
 * the calibration's bootstrap replay exactly. Not for anything secret. Pure: safe to import from
 * workflow code. (detection/random.ts is another thing: numpy's Mersenne Twister, draw for draw,
 * to check detectors against River's own test streams.)
 */
export type Rng = () => number;

/** Uniform draws in [0, 1) from mulberry32 seeded with `seed` (taken as an unsigned 32-bit integer). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit seed from a string (FNV-1a), e.g. from an incident id and attempt. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A standard normal draw by Box–Muller. */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
