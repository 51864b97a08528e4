// Score normalization shared by plugins, as the framework's DefaultNormalizeScore: scale so the highest raw score
// becomes maxPriority (or, reversed, the lowest raw score does).
import type { NodeScore } from "../../framework/types.js";

export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
