// Runs one function (a full rule sync) on request, never concurrently, at most once per min interval; again
// after a failure with exponential backoff; and periodically, so rules edited or lost behind our back come back.
// Many requests during the interval collapse into one run.
import { realClock, type Clock, type TimerHandle } from "../client/clock.js";
import { silentLogger, type Logger } from "../util/log.js";

export interface SyncRunnerOptions {
  fn: () => Promise<void>;
  /** Least time between the starts of two runs. */
  minIntervalMs: number;
  /** A run happens at least this often even without requests. */
  periodMs: number;
  /** Ceiling of the retry backoff after failures. */
  maxBackoffMs?: number;
  clock?: Clock;
  log?: Logger;
}

export class SyncRunner {
  private readonly clock: Clock;
  private readonly log: Logger;
  private due?: { at: number; timer: TimerHandle };
  private inFlight?: Promise<void>;
  private again = false;
  private lastStart = -Infinity;
  private failures = 0;
  private stopped = false;

  constructor(private readonly opts: SyncRunnerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
  }

  /** Asks for a run as soon as the min interval allows. */
  request(): void {
    this.want(Math.max(this.clock.now(), this.lastStart + this.opts.minIntervalMs));
  }

  /** Consecutive failed runs so far (0 after a success). */
  consecutiveFailures(): number {
    return this.failures;
  }

  /** Keeps the runner going until the signal aborts, then waits for a run in progress. */
  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    this.stopped = true;
    this.due?.timer.cancel();
    this.due = undefined;
    await this.inFlight;
  }

  private want(at: number): void {
    if (this.stopped || (this.due && this.due.at <= at)) return;
    this.due?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.due = undefined;
      this.fire();
    }, at - this.clock.now());
    this.due = { at, timer };
  }

  private fire(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.lastStart = this.clock.now();
    this.inFlight = this.opts
      .fn()
      .then(
        () => {
          this.failures = 0;
          this.want(this.clock.now() + this.opts.periodMs);
        },
        (err: unknown) => {
          this.failures++;
          const backoff = Math.min(this.opts.minIntervalMs * 2 ** (this.failures - 1), this.opts.maxBackoffMs ?? 30_000);
          this.log.warn("sync failed, will retry", { err, failures: this.failures, retryMs: backoff });
          this.want(this.clock.now() + Math.max(backoff, this.opts.minIntervalMs));
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}
