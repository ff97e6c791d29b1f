/**
 * The alert as an Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification,
 * so Slack renders a card. Chatbot drops notifications that do not fit its schema without a trace, so
 * the shape is fixed here (every value a string or an array of strings) and checked in the tests.
 */

import type { Severity } from '../types.ts';
import { type AlertView, type DetailLevel, SEVERITY_LABEL } from './alert-view.ts';
import { consoleLinks } from './console-links.ts';
import { batchMembers, DOWNLOAD_LINK_WARNING, eventFacts, memberCounts, memberTable } from './event-facts.ts';
import { cleanText, truncate } from './plain-text.ts';

/** A Chatbot custom notification. */
export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

export interface ChatCardOptions {
  /** Cloud Manager UI origin (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
}

const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/**
 * Slack rejects section texts over 3,000 characters and Chatbot documents no limits of its own, so the
 * card stays below that and points to the email/JSON for the rest.
 */
const DESCRIPTION_MAX_CHARS = 3_000;
const TITLE_MAX_CHARS = 250;
const LIST_MAX_ITEMS = 10;
const ITEM_MAX_CHARS = 300;
/** A card is read at a glance: a few events in full, a few more as lines, a short table. */
const CARD_LEVEL: DetailLevel = { memberRows: 15, fullEvents: 3, lineEvents: 10 };

export function renderChatCard(view: AlertView, options: ChatCardOptions): ChatbotNotification {
  const { events, primary, severity } = view;
  const record = primary.record;
  const level = CARD_LEVEL;
  const title = truncate(
    events.length > 1 && view.headlineCoversAll
      ? `${SEVERITY_EMOJI[severity]} [${SEVERITY_LABEL[severity]}] ${cleanText(record.targetName)}: ${cleanText(view.headline)}`
      : `${SEVERITY_EMOJI[severity]} [${SEVERITY_LABEL[severity]}] ${primary.title}: ${cleanText(record.targetName)}${
          events.length > 1 ? ` (${events.length} events)` : ''
        }`,
    TITLE_MAX_CHARS,
  );

  const parts: string[] = [];
  const full = events.slice(0, level.fullEvents);
  for (const event of full) {
    const r = event.record;
    const block: string[] = [];
    block.push(
      events.length > 1 ? `*${cleanText(event.title)}*: ${cleanText(r.summary)}` : cleanText(r.summary),
    );
    for (const fact of eventFacts(r)) {
      // Target and project are in the title and the links already.
      if (fact.kind === 'place') continue;
      block.push(`• *${fact.label}:* ${fact.kind === 'id' ? `\`${fact.value}\`` : fact.value}`);
    }
    const members = batchMembers(r);
    if (members.length > 0) {
      block.push(`*Jobs of the batch* (${members.length}: ${memberCounts(members)})`);
      const table = memberTable(members, level.memberRows, '');
      block.push(`\`\`\`\n${table.join('\n')}\n\`\`\``);
    }
    if (event.downloadUrl) block.push(`*Download link:* ${event.downloadUrl}\n${DOWNLOAD_LINK_WARNING}`);
    parts.push(block.join('\n'));
  }
  const rest = events.slice(full.length);
  if (rest.length > 0) {
    const shown = rest.slice(0, level.lineEvents);
    const lines = shown.map((e) => `• ${cleanText(e.record.summary)}`);
    if (rest.length > shown.length) lines.push(`… and ${rest.length - shown.length} more`);
    parts.push(`*Also in this ${record.batchId ? 'batch' : 'message'}:*\n${lines.join('\n')}`);
  }
  const links = consoleLinks(options.consoleBaseUrl, record.projectId)
    .map((l) => `${l.label}: ${l.url}`)
    .join('\n');
  const footer = `${links}\n_Links are best effort._ Event id: \`${record.eventId}\``;
  const description = fitDescription(parts.join('\n\n'), footer);

  const nextSteps = dedupe(events.flatMap((e) => e.nextSteps))
    .slice(0, LIST_MAX_ITEMS)
    .map((s) => truncate(cleanText(s), ITEM_MAX_CHARS));
  const jobIds = dedupe(events.flatMap((e) => (e.record.jobId ? [e.record.jobId] : [])));
  const keywords = dedupe(
    [severity, ...view.routing.eventTypes, cleanText(record.targetName)].filter((k) => k !== ''),
  ).slice(0, LIST_MAX_ITEMS);

  const additionalContext: Record<string, string> = {
    eventId: record.eventId,
    eventType: String(record.eventType),
    severity,
    incidentKey: view.routing.incidentKey,
    action: view.routing.action,
    projectId: record.projectId,
    clusterId: record.clusterId,
    targetName: cleanText(record.targetName),
    detectedAt: record.detectedAt,
    runId: record.runId,
  };
  if (record.jobId) additionalContext.jobId = record.jobId;
  if (record.batchId) additionalContext.batchId = record.batchId;
  if (view.routing.team) additionalContext.team = view.routing.team;
  if (events.length > 1) additionalContext.eventCount = String(events.length);

  return {
    version: '1.0',
    source: 'custom',
    id: record.eventId,
    content: { textType: 'client-markdown', title, description, nextSteps, keywords },
    metadata: {
      // Slack threads updates of the same job (or batch) under its first message.
      threadId:
        (events.length > 1 ? record.batchId : undefined) ??
        record.jobId ??
        record.batchId ??
        `${record.projectId}:${record.clusterId}`,
      summary: truncate(
        cleanText(`[${SEVERITY_LABEL[severity]}] ${record.targetName}: ${record.summary}`),
        ITEM_MAX_CHARS,
      ),
      eventType: String(record.eventType),
      relatedResources: [
        `project:${record.projectId}`,
        `cluster:${record.clusterId}`,
        ...(record.batchId ? [`batch:${record.batchId}`] : []),
        ...jobIds.map((id) => `restore-job:${id}`),
      ].slice(0, LIST_MAX_ITEMS),
      additionalContext,
    },
  };
}

/** Keeps the footer (links, event id) and cuts the body to the Slack limit. */
function fitDescription(body: string, footer: string): string {
  const full = `${body}\n\n${footer}`;
  if (full.length <= DESCRIPTION_MAX_CHARS) return full;
  const marker = '\n… (shortened; the email and the machine-readable message have everything)';
  const room = DESCRIPTION_MAX_CHARS - footer.length - marker.length - 2;
  let cut = body.slice(0, Math.max(0, room));
  // An unclosed code block would swallow the footer in Slack.
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut = `${cut.slice(0, Math.max(0, room - 4))}\n\`\`\``;
  return `${cut}${marker}\n\n${footer}`;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
