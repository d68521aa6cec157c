export interface BenchOptions {
  json: boolean;
}

/** Placeholder until the benchmark is written: fails loudly rather than printing made-up figures. */
export async function run(_opts: BenchOptions): Promise<void> {
  throw new Error('benchmark not implemented yet');
}
