import { describe, expect, it } from 'vitest';
import {
  deliveryStatusSeverity,
  EVENT_CATALOGUE,
  EVENT_TYPES,
  jobStatusSeverity,
  meetsMinSeverity,
  worstSeverity,
} from '../../functions/core/event-catalogue.ts';
import type { EventType, Severity } from '../../functions/core/types.ts';

const ALL_TYPES: EventType[] = [
  'JOB_CREATED',
  'JOB_STATUS_CHANGED',
  'DELIVERY_STATUS_CHANGED',
  'DELIVERY_EXPIRING',
  'JOB_STUCK',
  'BATCH_COMPLETED',
  'TARGET_FAILING',
  'TARGET_RECOVERED',
];

describe('EVENT_CATALOGUE', () => {
  it('describes every event type under its own key, with a title, a description and next steps', () => {
    // Assess
    expect([...EVENT_TYPES].sort()).toEqual([...ALL_TYPES].sort());
    for (const type of ALL_TYPES) {
      const info = EVENT_CATALOGUE[type];
      expect(info.type).toBe(type);
      expect(info.title.length).toBeGreaterThan(0);
      expect(info.description.length).toBeGreaterThan(20);
      expect(info.nextSteps.length).toBeGreaterThan(0);
    }
  });

  it.each<[EventType, Severity | 'varies']>([
    ['JOB_CREATED', 'info'],
    ['JOB_STATUS_CHANGED', 'varies'],
    ['DELIVERY_STATUS_CHANGED', 'varies'],
    ['DELIVERY_EXPIRING', 'warning'],
    ['JOB_STUCK', 'warning'],
    ['BATCH_COMPLETED', 'varies'],
    ['TARGET_FAILING', 'critical'],
    ['TARGET_RECOVERED', 'info'],
  ])('gives %s the default severity %s', (type, severity) => {
    expect(EVENT_CATALOGUE[type].defaultSeverity).toBe(severity);
  });

  it('labels the next steps of status-dependent events with the status they apply to', () => {
    // The notifier shows only the steps whose label names the event's status.
    expect(EVENT_CATALOGUE.JOB_STATUS_CHANGED.nextSteps.some((step) => step.startsWith('BROKEN:'))).toBe(
      true,
    );
    expect(EVENT_CATALOGUE.DELIVERY_STATUS_CHANGED.nextSteps.some((step) => step.startsWith('READY:'))).toBe(
      true,
    );
    expect(EVENT_CATALOGUE.BATCH_COMPLETED.nextSteps.some((step) => step.startsWith('All FINISHED:'))).toBe(
      true,
    );
  });
});

describe('jobStatusSeverity', () => {
  it.each<[string, Severity]>([
    ['IN_PROGRESS', 'info'],
    ['FINISHED', 'info'],
    ['KILLED', 'warning'],
    ['BROKEN', 'critical'],
    ['UNKNOWN', 'warning'],
    ['PAUSED_FOR_MAINTENANCE', 'warning'],
    ['', 'warning'],
  ])('rates a job that is %s as %s', (status, severity) => {
    expect(jobStatusSeverity(status)).toBe(severity);
  });

  it('rates status names that are also Object.prototype keys as unknown', () => {
    // Prepare
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];

    // Act
    const severities = names.map(jobStatusSeverity);

    // Assess
    expect(severities).toEqual(['warning', 'warning', 'warning', 'warning']);
  });
});

describe('deliveryStatusSeverity', () => {
  it.each<[string, boolean, Severity]>([
    ['NOT_STARTED', false, 'info'],
    ['IN_PROGRESS', false, 'info'],
    ['READY', false, 'info'],
    ['FAILED', false, 'critical'],
    ['INTERRUPTED', false, 'critical'],
    ['EXPIRED', false, 'warning'],
    ['EXPIRED', true, 'info'],
    ['MAX_DOWNLOADS_EXCEEDED', true, 'info'],
    ['SOMETHING_NEW', false, 'warning'],
    ['constructor', false, 'warning'],
  ])('rates a delivery that is %s (downloaded: %s) as %s', (status, downloaded, severity) => {
    expect(deliveryStatusSeverity(status, downloaded)).toBe(severity);
  });
});

describe('worstSeverity', () => {
  it('picks critical over warning over info', () => {
    expect(worstSeverity(['info', 'critical', 'warning'])).toBe('critical');
    expect(worstSeverity(['info', 'warning', 'info'])).toBe('warning');
  });

  it('is info for an empty list', () => {
    expect(worstSeverity([])).toBe('info');
  });
});

describe('meetsMinSeverity', () => {
  it.each<[Severity, Severity, boolean]>([
    ['info', 'info', true],
    ['info', 'warning', false],
    ['warning', 'warning', true],
    ['critical', 'warning', true],
    ['warning', 'critical', false],
    ['critical', 'critical', true],
  ])('%s meets a minimum of %s: %s', (severity, min, expected) => {
    expect(meetsMinSeverity(severity, min)).toBe(expected);
  });
});
