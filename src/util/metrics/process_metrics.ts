// Metrics of the Node.js process itself, named as Prometheus client libraries name them so stock dashboards work:
// process_* from the kernel's view (/proc on Linux) and nodejs_* from V8's. One registry per process: every
// component's endpoint in that process shows the same values.
import { readdirSync, readFileSync } from "node:fs";
import { MetricsRegistry } from "./registry.js";

/** Wall-clock time the process started: performance.timeOrigin is set when the process begins. */
const START_TIME_SECONDS = performance.timeOrigin / 1000;

let shared: MetricsRegistry | undefined;

/** The process-wide registry (created on first use). */
export function processMetrics(): MetricsRegistry {
  return (shared ??= newProcessRegistry());
}

function newProcessRegistry(): MetricsRegistry {
  const r = new MetricsRegistry();
  const one = (value: number): Array<{ value: number }> => [{ value }];
  r.counterFunc({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    collect: () => {
      const u = process.cpuUsage();
      return one((u.user + u.system) / 1e6);
    },
  });
  r.gaugeFunc({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", collect: () => one(process.memoryUsage.rss()) });
  r.gaugeFunc({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", collect: () => one(START_TIME_SECONDS) });
  r.gaugeFunc({
    name: "process_virtual_memory_bytes",
    help: "Virtual memory size in bytes.",
    collect: () => {
      const v = procStatVsize();
      return v === undefined ? [] : one(v);
    },
  });
  r.gaugeFunc({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    collect: () => {
      const n = openFds();
      return n === undefined ? [] : one(n);
    },
  });
  r.gaugeFunc({
    name: "process_max_fds",
    help: "Maximum number of open file descriptors.",
    collect: () => {
      const n = maxFds();
      return n === undefined ? [] : one(n);
    },
  });
  r.gaugeFunc({ name: "nodejs_heap_size_used_bytes", help: "V8 heap in use, in bytes.", collect: () => one(process.memoryUsage().heapUsed) });
  r.gaugeFunc({ name: "nodejs_heap_size_total_bytes", help: "V8 heap reserved, in bytes.", collect: () => one(process.memoryUsage().heapTotal) });
  r.gaugeFunc({ name: "nodejs_external_memory_bytes", help: "Memory of C++ objects bound to JavaScript objects (buffers), in bytes.", collect: () => one(process.memoryUsage().external) });
  r.gaugeFunc({ name: "nodejs_active_resources", help: "Resources (sockets, timers, file handles) keeping the event loop alive.", collect: () => one(process.getActiveResourcesInfo().length) });
  r.gaugeFunc({ name: "nodejs_version_info", help: "Node.js version of the process.", labelNames: ["version"], collect: () => [{ labels: { version: process.version }, value: 1 }] });
  return r;
}

/** Entries of /proc/self/fd; undefined where /proc is missing. The listing's own descriptor is not counted. */
function openFds(): number | undefined {
  try {
    return Math.max(0, readdirSync("/proc/self/fd").length - 1);
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** Field 23 of /proc/self/stat (vsize); the command name in field 2 may hold spaces, so count after its ")". */
function procStatVsize(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const v = Number(fields[20]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
