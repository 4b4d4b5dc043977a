/**
 * JSON rendering that can emit integers JSON.stringify cannot: the RDS API sends task ids
 * as bare numbers, and ids beyond 2^53 must reach the client digit-for-digit so its
 * json-bigint parser turns them into BigNumbers (the bug we want tests to be able to catch).
 */

/** A number written into the body verbatim, e.g. `90071992547409931234`. */
export class JsonNumberLiteral {
  constructor(readonly text: string) {
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
      throw new Error(`not a JSON number: ${text}`);
    }
  }
}

/** Like JSON.stringify (no indentation, undefined members dropped), plus JsonNumberLiteral. */
export function toJsonText(value: unknown): string {
  if (value instanceof JsonNumberLiteral) {
    return value.text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : toJsonText(item))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `${JSON.stringify(key)}:${toJsonText(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
