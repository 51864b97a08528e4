// The k8ts command: one binary, one subcommand per component (k3s style).
import { versionInfo, K8TS_VERSION } from "../util/version.js";

export type Command = (args: string[]) => Promise<number | void>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  version: {
    summary: "print the k8ts version and the Kubernetes API version it serves",
    load: async () => async (args) => {
      const info = versionInfo();
      if (args.includes("-o") && args[args.indexOf("-o") + 1] === "json") {
        process.stdout.write(JSON.stringify({ k8tsVersion: K8TS_VERSION, kubernetes: info }, null, 2) + "\n");
      } else {
        process.stdout.write(`k8ts ${K8TS_VERSION} (Kubernetes API ${info.gitVersion}, ${info.goVersion}, ${info.platform})\n`);
      }
      return 0;
    },
  },
};

/** Registers a subcommand; each component's CLI module calls this. */
export function registerCommand(name: string, summary: string, load: () => Promise<Command>): void {
  commands[name] = { summary, load };
}

function usage(): string {
  const rows = Object.entries(commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `  ${name.padEnd(20)} ${c.summary}`);
  return `usage: k8ts <command> [flags]\n\ncommands:\n${rows.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  await import("./commands.js");
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`k8ts: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const run = await cmd.load();
  const code = await run(rest);
  return typeof code === "number" ? code : 0;
}
