// The sample lines of one family for one instance (or one region), written by hand: the same bytes
// in the text format 0.0.4 and in OpenMetrics 1.0 (counter samples end in `_total` in both). The
// families of the reads (src/collector/reads/) fill these too.

export function escapeLabelValue(value: string): string {
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Writes the samples of one family: `name{labels,extra} value` lines. */
export class FamilyLines {
  private out = '';
  constructor(
    private readonly name: string,
    /** `account="…",region="…",instance_id="…"` (or the region's two) */
    private readonly labels: string,
  ) {}

  add(value: number, extra = ''): void {
    this.out += `${this.name}{${this.labels}${extra}} ${formatValue(value)}\n`;
  }

  /** adds `value` when it is defined */
  maybe(value: number | undefined): void {
    if (value !== undefined) this.add(value);
  }

  get text(): string {
    return this.out;
  }
}

/** `,name="value"` for each pair: the labels beyond account, region and instance_id. */
export function extra(...pairs: Array<[string, string]>): string {
  let out = '';
  for (const [name, value] of pairs) out += `,${name}="${escapeLabelValue(value)}"`;
  return out;
}

export const flag = (b: boolean | undefined) => (b === undefined ? undefined : b ? 1 : 0);
export const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
export const days = (d: number | undefined) => (d === undefined ? undefined : d * 86400);
