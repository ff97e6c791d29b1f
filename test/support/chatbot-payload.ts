import { expect } from 'vitest';

const isStringArray = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Amazon Q Developer (Chatbot) drops custom notifications that do not fit its schema without a trace:
 * only known keys, version "1.0", source "custom", strings and arrays of strings.
 */
export function expectValidChatbotPayload(payload: unknown): void {
  const p = payload as Record<string, unknown>;
  expect(Object.keys(p).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  expect(p.version).toBe('1.0');
  expect(p.source).toBe('custom');
  expect(typeof p.id).toBe('string');
  const content = p.content as Record<string, unknown>;
  expect(Object.keys(content).sort()).toEqual(['description', 'keywords', 'nextSteps', 'textType', 'title']);
  expect(content.textType).toBe('client-markdown');
  expect(typeof content.title).toBe('string');
  expect((content.title as string).length).toBeGreaterThan(0);
  expect(typeof content.description).toBe('string');
  expect((content.description as string).length).toBeLessThanOrEqual(3_000);
  expect(isStringArray(content.nextSteps)).toBe(true);
  expect(isStringArray(content.keywords)).toBe(true);
  const metadata = p.metadata as Record<string, unknown>;
  expect(Object.keys(metadata).sort()).toEqual([
    'additionalContext',
    'eventType',
    'relatedResources',
    'summary',
    'threadId',
  ]);
  for (const key of ['threadId', 'summary', 'eventType']) expect(typeof metadata[key]).toBe('string');
  expect(isStringArray(metadata.relatedResources)).toBe(true);
  const context = metadata.additionalContext as Record<string, unknown>;
  expect(Object.values(context).every((value) => typeof value === 'string')).toBe(true);
}
