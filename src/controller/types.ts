// The one shape every controller (and the scheduler, and other long-running components) presents to the process
// that runs it: a name, and run(signal) that works until the signal aborts.

export interface Controller {
  readonly name: string;
  /**
   * Starts what the controller needs (informers, workers), works until the signal aborts, then resolves once its
   * workers have finished their current item. Rejects only on a setup failure, never for a failed sync (those are
   * retried with backoff).
   */
  run(signal: AbortSignal): Promise<void>;
}

/** A running controller: stop() aborts it and resolves when it has wound down. */
export interface RunningController {
  readonly name: string;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export function startController(c: Controller, parent?: AbortSignal): RunningController {
  const ac = new AbortController();
  const onParentAbort = (): void => ac.abort();
  parent?.addEventListener("abort", onParentAbort, { once: true });
  const done = c.run(ac.signal).finally(() => parent?.removeEventListener("abort", onParentAbort));
  return {
    name: c.name,
    done,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}
