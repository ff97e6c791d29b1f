/**
 * The one line that says what a message is about. One event: its summary. Several events of one job
 * in one poll: the job once, then a short clause per event, the most severe first, so a subject cut
 * to 99 characters still says the most important thing:
 *
 *   restore …9a3f1c07 expires in 49 min, not downloaded yet; FINISHED, download ready until 16:52 UTC
 *
 * (clauses of one severity are joined with ", ", severity tiers with "; ").
 */
import { EVENT_TYPES } from '../event-catalogue.ts';
import { shortId } from '../event-summary.ts';
import { formatMinutes, formatUtcMinute, parseInstant } from '../instant.ts';
import type { AuditRecord, Severity } from '../types.ts';
import { SEVERITY_ORDER } from '../types.ts';

const DAY_MS = 86_400_000;

/** The headline of `events` (reading order); `coversAll` is false when it names only the first. */
export function headline(events: readonly AuditRecord[]): { text: string; coversAll: boolean } {
  const first = events[0];
  if (!first) return { text: '', coversAll: true };
  const jobId = first.jobId;
  const oneJob = jobId !== undefined && events.every((e) => e.jobId === jobId);
  if (events.length === 1 || !oneJob) return { text: first.summary, coversAll: events.length === 1 };
  const ordered = [...events].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      EVENT_TYPES.indexOf(a.eventType) - EVENT_TYPES.indexOf(b.eventType),
  );
  const tiers: string[] = [];
  let tier: string[] = [];
  let tierSeverity: Severity | undefined;
  for (const event of ordered) {
    if (tierSeverity !== undefined && event.severity !== tierSeverity) {
      tiers.push(tier.join(', '));
      tier = [];
    }
    tierSeverity = event.severity;
    const clause = eventClause(event);
    if (!tier.includes(clause)) tier.push(clause);
  }
  tiers.push(tier.join(', '));
  return { text: `restore ${shortId(jobId)} ${tiers.join('; ')}`, coversAll: true };
}

/** What one event of a job says, without naming the job. */
export function eventClause(event: AuditRecord): string {
  const after = event.after ?? undefined;
  const details = event.details ?? {};
  switch (event.eventType) {
    case 'JOB_CREATED':
      return 'requested';
    case 'JOB_STATUS_CHANGED':
      return after?.statusName ?? 'status changed';
    case 'DELIVERY_STATUS_CHANGED':
      return deliveryClause(event);
    case 'DELIVERY_EXPIRING': {
      const left = typeof details.minutesLeft === 'number' ? formatMinutes(details.minutesLeft) : 'soon';
      return `expires in ${left}${after?.downloaded ? ' (downloaded already)' : ', not downloaded yet'}`;
    }
    case 'JOB_STUCK':
      return typeof details.inProgressMinutes === 'number'
        ? `still IN_PROGRESS after ${formatMinutes(details.inProgressMinutes)}`
        : 'still IN_PROGRESS';
    default:
      return withoutSubject(event);
  }
}

function deliveryClause(event: AuditRecord): string {
  const after = event.after ?? undefined;
  const status = after?.deliveryStatus ?? 'UNKNOWN';
  if (status === 'READY') {
    const expires = after?.expires;
    return expires === undefined
      ? 'download ready'
      : `download ready until ${untilText(expires, event.detectedAt)}`;
  }
  if (status === 'EXPIRED')
    return after?.downloaded ? 'link expired (was downloaded)' : 'link expired, never downloaded';
  if (status === 'MAX_DOWNLOADS_EXCEEDED') return 'download limit reached';
  return `delivery ${status}`;
}

/** `16:52 UTC` within a day of detection, the date too when further off. */
function untilText(expires: string, detectedAt: string): string {
  const full = formatUtcMinute(expires);
  const at = parseInstant(expires);
  const from = parseInstant(detectedAt);
  if (at === undefined || from === undefined || Math.abs(at - from) >= DAY_MS) return full;
  return full.slice(11);
}

/** A summary that starts with its job (`restore …9a3f1c07 ...`) without that start. */
function withoutSubject(event: AuditRecord): string {
  const prefix = event.jobId ? `restore ${shortId(event.jobId)} ` : '';
  return prefix && event.summary.startsWith(prefix) ? event.summary.slice(prefix.length) : event.summary;
}

function severityRank(severity: Severity): number {
  return SEVERITY_ORDER[severity] ?? SEVERITY_ORDER.warning;
}
