/**
 * The handful of UTC time formats the RDS API speaks. They differ per field (seconds or
 * not), and the service rejects the wrong one, so each gets its own name.
 */

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function datePart(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** `2026-11-20T16:20:00Z`: request Timestamp, BackupStartTime/EndTime, STS Expiration. */
export function formatUtcSeconds(ms: number): string {
  const d = new Date(ms);
  return `${datePart(d)}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}

/** `2026-11-28T15:15Z`: PreferredNextBackupTime and the DescribeBackups StartTime/EndTime filters. */
export function formatUtcMinutes(ms: number): string {
  const d = new Date(ms);
  return `${datePart(d)}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}Z`;
}

const SECONDS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const MINUTES_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})Z$/;

function toMs(parts: string[]): number | undefined {
  const [year, month, day, hour, minute, second] = parts.map(Number) as [number, number, number, number, number, number?];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second ?? 0);
  // Date.UTC rolls 2026-02-30 over into March; the service calls that malformed.
  const back = new Date(ms);
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || (second ?? 0) > 59) {
    return undefined;
  }
  return ms;
}

/** Parses `YYYY-MM-DDTHH:mm:ssZ`; undefined when malformed. */
export function parseUtcSeconds(text: string): number | undefined {
  const m = SECONDS_RE.exec(text);
  return m ? toMs(m.slice(1)) : undefined;
}

/** Parses `YYYY-MM-DDTHH:mmZ`; undefined when malformed. */
export function parseUtcMinutes(text: string): number | undefined {
  const m = MINUTES_RE.exec(text);
  return m ? toMs(m.slice(1)) : undefined;
}
