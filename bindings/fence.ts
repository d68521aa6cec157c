/**
 * Fencing for actuators. A repair acts on a resource only while it holds that resource's
 * remediation lease; the lease's fencing token strictly increases each time the lease changes
 * hands. Bindings that change something take the fence of the repair that asks and check it
 * right before acting, so a repair whose lease was taken over meanwhile (it expired while the
 * worker was stalled) is refused instead of fighting the new holder.
 */
export interface Fence {
  readonly resource: string;
  readonly token: number;
  /** Resolves while `token` is the live token of `resource`; throws HS_REFUSED once it is not. */
  assert(): Promise<void>;
}

/** Options every state-changing binding call accepts. */
export interface Fenced {
  fence?: Fence;
}

/** Checks the caller's fence, when it passed one (tools run by hand pass none). */
export async function checkFence(options: Fenced | undefined): Promise<void> {
  await options?.fence?.assert();
}
