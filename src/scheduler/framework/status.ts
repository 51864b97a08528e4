// The result of one plugin call. Codes follow the Kubernetes scheduling framework: Unschedulable can be helped by
// preemption, UnschedulableAndUnresolvable cannot; Skip tells the framework to skip the plugin's later extension
// points for this pod; Wait (Permit only) parks the pod until allowed or timed out.

export type Code = "Success" | "Error" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Wait" | "Skip" | "Pending";

export class Status {
  /** The plugin that produced this status; the framework fills it in. */
  plugin = "";
  /** The last withPlugin copy (a plugin that answers one shared Status gets one shared copy). */
  private named?: Status;

  constructor(
    readonly code: Code,
    /** Human-readable reasons; each one is counted separately in a FitError. */
    readonly reasons: string[] = [],
    readonly err?: Error,
  ) {}

  static success(): Status {
    return SUCCESS;
  }
  static error(err: Error | string): Status {
    const e = typeof err === "string" ? new Error(err) : err;
    return new Status("Error", [e.message], e);
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status("Unschedulable", reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status("UnschedulableAndUnresolvable", reasons);
  }
  static skip(): Status {
    return new Status("Skip");
  }
  static wait(): Status {
    return new Status("Wait");
  }

  isSuccess(): boolean {
    return this.code === "Success";
  }
  isSkip(): boolean {
    return this.code === "Skip";
  }
  /** Unschedulable or UnschedulableAndUnresolvable (or Pending): the pod did not fit, nothing broke. */
  isRejected(): boolean {
    return this.code === "Unschedulable" || this.code === "UnschedulableAndUnresolvable" || this.code === "Pending";
  }
  message(): string {
    return this.reasons.join(", ");
  }
  /** This status as produced by the named plugin (a copy; statuses are not changed once made). */
  withPlugin(name: string): Status {
    if (this === SUCCESS) return this;
    if (this.named?.plugin === name) return this.named;
    const s = new Status(this.code, this.reasons, this.err);
    s.plugin = name;
    this.named = s;
    return s;
  }
}

const SUCCESS = new Status("Success");

/** A nil-or-success check that reads like the framework's IsSuccess on a possibly absent status. */
export function ok(s: Status | undefined): boolean {
  return !s || s.isSuccess();
}
