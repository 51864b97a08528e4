// $(VAR) expansion in container env values, command and args, with Kubernetes' rules: $(NAME) is replaced by the
// variable when it is defined and left as written when not, $$ is an escaped $, and a $ before anything else (or an
// unclosed "$(") stays literal.

/** Looks a name up; undefined when no source defines it. */
export type Lookup = (name: string) => string | undefined;

/** A lookup over maps tried in order (the container's own variables first, then service links). */
export function lookupIn(...maps: ReadonlyArray<ReadonlyMap<string, string>>): Lookup {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

export function expand(input: string, lookup: Lookup): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    // A trailing lone "$" is literal.
    if (ch !== "$" || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) {
        // Unclosed reference: "$(" is kept and scanning goes on after it.
        out += "$(";
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += "$" + next;
      i += 2;
    }
  }
  return out;
}
