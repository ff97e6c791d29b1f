/** Plain-text tables and summaries for the terminal. */
import type { PollSummary } from '../core/poll.ts';

// The table layout is shared with the plain-text report, which the Lambda digest renders too.
export { table } from '../core/text-table.ts';

export function shortTime(iso: string | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z');
}

export function describeSummary(summary: PollSummary): string {
  if (summary.lease === 'held-by-other') {
    return `Another run (${summary.leaseHolder ?? 'unknown'}) is polling right now; this run did nothing.\n`;
  }
  if (summary.lease === 'lost') {
    return (
      `This run lost its lease: it paused long enough for another run to take over, so it stopped without writing or publishing anything more.\n` +
      `Nothing is lost: the other run polls and alerts what this one did not finish (an alert this run had already sent may arrive twice, with the same eventId).\n`
    );
  }
  const t = summary.targets;
  const lines = [
    `${summary.dryRun ? 'Dry run: ' : ''}polled ${t.total} target${t.total === 1 ? '' : 's'} in ${(summary.durationMs / 1000).toFixed(1)} s: ` +
      `${t.ok} ok, ${t.failed} failed, ${t.skipped} skipped; ${summary.jobsSeen} job${summary.jobsSeen === 1 ? '' : 's'} seen, ` +
      `${summary.eventsDetected} event${summary.eventsDetected === 1 ? '' : 's'} detected` +
      (summary.dryRun
        ? ' (nothing written or published)'
        : `, ${summary.alertsPublished} alert${summary.alertsPublished === 1 ? '' : 's'} published, ${summary.alertsOwed} still owed`),
  ];
  const { opened, resolved, reminded, silenced } = summary.incidents;
  if (opened + resolved + reminded + silenced > 0) {
    lines.push(
      `  incidents: ${opened} opened, ${resolved} resolved, ${reminded} reminded; ${silenced} event${silenced === 1 ? '' : 's'} silenced`,
    );
  }
  if (summary.pagerduty) {
    const pd = summary.pagerduty;
    lines.push(
      `  PagerDuty: ${pd.published} sent, ${pd.owed} still owed${pd.failed > 0 ? ` (${pd.failed} not accepted this run)` : ''}`,
    );
  }
  for (const failed of summary.failedTargets)
    lines.push(`  FAILED  ${failed.name} (${failed.target}): ${failed.error}`);
  if (summary.skippedTargets.length > 0) {
    lines.push(`  SKIPPED (time budget; polled first next run): ${summary.skippedTargets.join(', ')}`);
  }
  if (summary.alertsFailed > 0) {
    lines.push(
      `  ${summary.alertsFailed} alert(s) could not be delivered; they stay owed and the next run retries them.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
