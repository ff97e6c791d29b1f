/**
 * The alert as a plain-text email for people: what happened, the facts, what to do next, links.
 * How much of a large batch it spells out is the caller's `DetailLevel`, so a channel with a size
 * limit can ask for less.
 */
import { type AlertView, type DetailLevel, type EventView, SEVERITY_LABEL } from './alert-view.ts';
import { consoleLinks } from './console-links.ts';
import { batchMembers, DOWNLOAD_LINK_WARNING, eventFacts, memberCounts, memberTable } from './event-facts.ts';
import { cleanText } from './plain-text.ts';

export interface EmailOptions {
  /** Cloud Manager UI origin (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
  level: DetailLevel;
  /** The last line, under the "-- " signature separator: who sent it and how to filter it. */
  signature: string;
}

/** Every event and every batch member spelled out. */
export const FULL_DETAIL: DetailLevel = {
  memberRows: Number.POSITIVE_INFINITY,
  fullEvents: Number.POSITIVE_INFINITY,
  lineEvents: 0,
};

export function renderEmailText(view: AlertView, options: EmailOptions): string {
  const { events, primary, severity } = view;
  const { level } = options;
  const record = primary.record;
  const lines: string[] = [];
  // The first line says the most important thing: one event's title, a job's whole poll in one
  // headline, or a batch's summary event with how many events it carries.
  const heading =
    events.length === 1
      ? `[${SEVERITY_LABEL[severity]}] ${primary.title}: ${record.targetName}`
      : view.headlineCoversAll
        ? `[${SEVERITY_LABEL[severity]}] ${record.targetName}: ${view.headline}`
        : `[${SEVERITY_LABEL[severity]}] ${primary.title}: ${record.targetName} (${events.length} events of batch ${record.batchId ?? ''})`;
  lines.push(cleanText(heading), '='.repeat(Math.min(72, cleanText(heading).length)), '');

  const full = events.slice(0, Math.min(events.length, level.fullEvents));
  const brief = events.slice(full.length, full.length + level.lineEvents);
  const omitted = events.length - full.length - brief.length;

  full.forEach((event, index) => {
    if (events.length > 1) lines.push(`--- ${index + 1}/${events.length}: ${cleanText(event.title)} ---`, '');
    lines.push(...eventBody(event, level, events.length > 1));
    lines.push('');
  });
  if (brief.length > 0) {
    lines.push('Further events', '');
    for (const event of brief) {
      lines.push(
        `  - [${SEVERITY_LABEL[event.record.severity] ?? event.record.severity}] ${cleanText(event.record.summary)} (${event.record.eventId})`,
      );
    }
    lines.push('');
  }
  if (omitted > 0) lines.push(`... and ${omitted} more events (see the machine-readable message).`, '');

  lines.push('Links (best effort; the Cloud Manager UI may move pages)');
  for (const link of consoleLinks(options.consoleBaseUrl, record.projectId))
    lines.push(`  ${link.label}: ${link.url}`);
  lines.push('');
  lines.push(
    events.length > 1
      ? `Event ids: ${events.map((e) => e.record.eventId).join(', ')}`
      : `Event id: ${record.eventId}`,
  );
  lines.push(`Run id: ${record.runId}`);
  lines.push('', '-- ', options.signature);
  return lines.join('\n');
}

function eventBody(event: EventView, level: DetailLevel, inGroup: boolean): string[] {
  const record = event.record;
  const lines: string[] = ['What happened', `  ${cleanText(record.summary)}`, ''];
  const facts = eventFacts(record);
  const width = Math.max(...facts.map((f) => f.label.length));
  for (const fact of facts) lines.push(`  ${`${fact.label}:`.padEnd(width + 2)}${fact.value}`);
  const members = batchMembers(record);
  if (members.length > 0) {
    lines.push('', `Jobs of the batch (${members.length}: ${memberCounts(members)})`);
    lines.push(...memberTable(members, level.memberRows, '  '));
  }
  if (event.downloadUrl) {
    lines.push('', 'Download link', `  ${event.downloadUrl}`, `  ${DOWNLOAD_LINK_WARNING}`);
  }
  if (event.nextSteps.length > 0) {
    lines.push('', 'What to do next');
    event.nextSteps.forEach((step, i) => {
      lines.push(`  ${i + 1}. ${cleanText(step)}`);
    });
  }
  // The catalogue text says when this alert fires: background, so it comes last.
  if (event.description) lines.push('', 'About this alert', `  ${cleanText(event.description)}`);
  if (inGroup) lines.push('', `  Event id: ${record.eventId}`);
  return lines;
}
