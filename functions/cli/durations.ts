/** Durations as people type them on a command line: `30s`, `5m`, `24h`, `7d`. */
const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS[(match[2] as string).toLowerCase()] as number;
  const value = Number(match[1]) * unit;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `--since`: a duration back from now (`24h`) or an ISO 8601 instant. */
export function parseSince(text: string, now: Date): string | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now.getTime() - duration).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}
