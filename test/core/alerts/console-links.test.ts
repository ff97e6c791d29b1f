import { describe, expect, it } from 'vitest';
import { consoleBaseUrlFor, InvalidApiBaseUrlError } from '../../../functions/core/alerts/console-links.ts';

describe('consoleBaseUrlFor', () => {
  it.each([
    ['https://cloud.mongodb.com/api/public/v1.0', 'https://cloud.mongodb.com'],
    ['https://cloud.mongodb.com/api/public/v1.0/', 'https://cloud.mongodb.com'],
    ['https://ops.example.com:8443/api/public/v1.0', 'https://ops.example.com:8443'],
    ['https://example.com/opsmanager/api/public/v1.0', 'https://example.com/opsmanager'],
    ['http://127.0.0.1:4010/api/public/v1.0', 'http://127.0.0.1:4010'],
  ])('derives the UI address from %s', (api, ui) => {
    expect(consoleBaseUrlFor(api)).toBe(ui);
  });

  it('explains an API base URL it cannot use', () => {
    expect(() => consoleBaseUrlFor('cloud.mongodb.com')).toThrow(InvalidApiBaseUrlError);
  });
});
