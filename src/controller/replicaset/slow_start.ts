// Slow-start batching, as Kubernetes creates pods: 1 call, then 2, 4, 8... in parallel, stopping at the first
// batch with a failure. A quota or admission problem then costs one failed request instead of hundreds.

export interface BatchOutcome {
  successes: number;
  /** The first error of the failing batch, if any. */
  error?: Error;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<BatchOutcome> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    let error: Error | undefined;
    for (const r of results) {
      if (r.status === "fulfilled") successes++;
      else error ??= r.reason instanceof Error ? r.reason : new Error(String(r.reason));
    }
    if (error) return { successes, error };
    remaining -= size;
  }
  return { successes };
}
