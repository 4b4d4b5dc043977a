// The names bench/scale.ts and its simulator child agree on.

/** rm-bench-00000, rm-bench-00001, … */
export function instanceId(i: number): string {
  return `rm-bench-${String(i).padStart(5, '0')}`;
}
