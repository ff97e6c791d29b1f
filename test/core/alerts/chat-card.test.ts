import { describe, expect, it } from 'vitest';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import { renderChatCard } from '../../../functions/core/alerts/chat-card.ts';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../../../functions/core/event-catalogue.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import { BATCH, batchCompleted, CONSOLE, PROJECT, record, sampleOf } from '../../support/alert-records.ts';
import { expectValidChatbotPayload } from '../../support/chatbot-payload.ts';

function cardOf(events: AuditRecord[]) {
  return renderChatCard(viewAlert({ events }, { includeDownloadUrl: false }), { consoleBaseUrl: CONSOLE });
}

describe('renderChatCard', () => {
  it.each(EVENT_TYPES)('renders %s as a custom notification Chatbot accepts', (type) => {
    // Act
    const card = cardOf([sampleOf(type)]);

    // Assess
    expectValidChatbotPayload(JSON.parse(JSON.stringify(card)));
    expect(card.content.title).toContain(EVENT_CATALOGUE[type].title);
    expect(card.content.nextSteps.length).toBeGreaterThan(0);
    expect(card.metadata.eventType).toBe(type);
  });

  it('shows the per-shard table of a completed batch as a code block', () => {
    // Act
    const card = cardOf([batchCompleted(4)]);

    // Assess
    expect(card.content.description).toContain('```');
  });

  it('links to the Cloud Manager UI of the project', () => {
    // Act
    const card = cardOf([record()]);

    // Assess
    expect(card.content.description).toContain(`https://cloud.mongodb.com/v2/${PROJECT}#/clusters`);
  });

  it('stays within the Slack limit for a huge batch and keeps its code block closed', () => {
    // Prepare
    const completed = batchCompleted(2_000);
    const shards = Array.from({ length: 20 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fee${String(i).padStart(20, '0')}` }),
    );

    // Act
    const card = cardOf([completed, ...shards]);

    // Assess
    expectValidChatbotPayload(JSON.parse(JSON.stringify(card)));
    expect((card.content.description.match(/```/g) ?? []).length % 2).toBe(0);
    expect(card.metadata.threadId).toBe(BATCH);
    expect(card.metadata.additionalContext.eventCount).toBe('21');
  });
});
