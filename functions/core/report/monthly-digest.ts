/**
 * The monthly digest (`deploy.report.schedule`): the `text` report of the previous calendar month
 * (UTC), published once to the alerts topic, so email subscribers receive their restore evidence
 * without running anything.
 *
 * Delivery is at least once: if SNS accepted the message but the answer was lost, the invocation's
 * retry sends it again. A second copy of a monthly report is harmless; a missing one is not.
 */
import type { ReportMessage, ReportPeriod, ReportPublisher, StateStore } from '../ports.ts';
import { readRestoreReport } from './read-report.ts';
import { renderText } from './render-text.ts';
import { percentText, rangeText } from './report-format.ts';
import type { RestoreReport } from './report-model.ts';

/** SNS subjects are at most 99 characters; send ASCII (older docs). */
const MAX_SUBJECT = 99;

/** The calendar month before the one `at` falls in, UTC: [first of last month, first of this month). */
export function previousMonth(at: Date): ReportPeriod {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  return {
    since: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
    until: new Date(Date.UTC(year, month, 1)).toISOString(),
  };
}

/** `2026-10`: how people name a month in a subject line. */
function monthName(period: ReportPeriod): string {
  return period.since.slice(0, 7);
}

export function digestSubject(report: RestoreReport): string {
  const o = report.overall;
  const subject =
    `[INFO] restore-watch report ${monthName(report.period)}: ${o.restores.requested} restores, ` +
    `${percentText(o.successRatePercent)} succeeded, median ${rangeText(o.duration?.median)}`;
  // Printable ASCII only: the range sign of "50-55 min" is already ASCII, anything else is replaced.
  return subject.replace(/[^\x20-\x7e]/g, '-').slice(0, MAX_SUBJECT);
}

/** The figures a chat message can carry, one per line. */
export function digestHeadline(report: RestoreReport): string {
  const o = report.overall;
  const incidents = Object.values(o.incidents).reduce((sum, n) => sum + n, 0);
  return [
    `${o.restores.requested} restores requested in ${monthName(report.period)} across ${report.targets.length} targets: ${o.restores.finished} finished, ${o.restores.broken} broken, ${o.restores.killed} killed, ${o.restores.running} still running (${percentText(o.successRatePercent)} succeeded).`,
    `Request to finish: median ${rangeText(o.duration?.median)}, p90 ${rangeText(o.duration?.p90)}, max ${rangeText(o.duration?.max)} (ranges: finishes are known to within the poll period).`,
    `${o.downloads.expiredUnused} download links expired unused; ${incidents} incidents.`,
  ].join('\n');
}

export function digestMessage(report: RestoreReport): ReportMessage {
  return {
    subject: digestSubject(report),
    text: renderText(report),
    headline: digestHeadline(report),
    period: { since: report.period.since, until: report.period.until },
  };
}

export interface DigestResult {
  period: ReportPeriod;
  targets: number;
  restores: number;
  messageId: string;
}

/** Reads last month's records of every known target and publishes the digest. */
export async function publishMonthlyDigest(deps: {
  store: Pick<StateStore, 'listTargetStates' | 'readPeriod'>;
  publisher: ReportPublisher;
  /** The scheduled time: a late invocation still reports the month it was scheduled after. */
  at: Date;
}): Promise<DigestResult> {
  const period = previousMonth(deps.at);
  const targets = (await deps.store.listTargetStates()).sort((a, b) => a.name.localeCompare(b.name));
  const report = await readRestoreReport(deps.store, { period, generatedAt: deps.at.toISOString(), targets });
  const { messageId } = await deps.publisher.publishReport(digestMessage(report));
  return { period, targets: targets.length, restores: report.overall.restores.requested, messageId };
}
