/**
 * Population stability index between a reference histogram and a current one (same bins):
 *   PSI = Σ_i (q_i − p_i) · ln(q_i / p_i)
 * with p, q the bin shares, floored at 1e-4 so an empty bin does not make it infinite.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  const rt = reference.reduce((a, b) => a + b, 0);
  const ct = current.reduce((a, b) => a + b, 0);
  if (rt === 0 || ct === 0 || reference.length !== current.length) return 0;
  const eps = 1e-4;
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max(reference[i] / rt, eps);
    const q = Math.max(current[i] / ct, eps);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}
