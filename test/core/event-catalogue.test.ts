import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  deliveryStatusSeverity,
  EVENT_CATALOGUE,
  EVENT_TYPES,
  jobStatusSeverity,
  meetsMinSeverity,
  nextStepsFor,
  worstSeverity,
} from '../../functions/core/event-catalogue.ts';
import { describeIncidentRule } from '../../functions/core/incident-kinds.ts';
import {
  type EventType,
  KNOWN_DELIVERY_STATUSES,
  KNOWN_JOB_STATUSES,
  type Severity,
} from '../../functions/core/types.ts';

const ALL_TYPES: EventType[] = [
  'JOB_CREATED',
  'JOB_STATUS_CHANGED',
  'DELIVERY_STATUS_CHANGED',
  'DELIVERY_EXPIRING',
  'JOB_STUCK',
  'BATCH_COMPLETED',
  'TARGET_FAILING',
  'TARGET_RECOVERED',
  'INCIDENT_RESOLVED',
  'INCIDENT_REMINDER',
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
    ['INCIDENT_RESOLVED', 'info'],
    ['INCIDENT_REMINDER', 'varies'],
  ])('gives %s the default severity %s', (type, severity) => {
    expect(EVENT_CATALOGUE[type].defaultSeverity).toBe(severity);
  });

  it('labels every conditional next step with exactly the statuses its condition names', () => {
    // The condition chooses the step; the label is what people read. They must say the same.
    for (const type of ALL_TYPES) {
      for (const step of EVENT_CATALOGUE[type].nextSteps) {
        if (step.when === undefined || step.when === 'otherwise') continue;
        const label = step.text.slice(0, step.text.indexOf(':'));
        const named = [
          ...(step.when.jobStatus ?? []),
          ...(step.when.allJobStatus ?? []),
          ...(step.when.deliveryStatus ?? []),
        ];
        expect(named.length).toBeGreaterThan(0);
        expect(label.match(/\b[A-Z][A-Z_]{2,}\b/g)?.sort()).toEqual([...named].sort());
        for (const status of [...(step.when.jobStatus ?? []), ...(step.when.allJobStatus ?? [])])
          expect(KNOWN_JOB_STATUSES).toContain(status);
        for (const status of step.when.deliveryStatus ?? [])
          expect(KNOWN_DELIVERY_STATUSES).toContain(status);
      }
    }
  });
});

describe('README event table', () => {
  const rows = () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Event catalogue'));
    const table = section.slice(0, section.indexOf('\n## ', 1));
    return table
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
  };

  it('names every event type of the catalogue, in catalogue order', () => {
    // Act
    const named = rows()
      .flatMap((cells) => cells[1]?.match(/`[A-Z_]+`/g) ?? [])
      .map((name) => name.slice(1, -1));

    // Assess
    expect(named).toEqual([...EVENT_TYPES]);
  });

  it('states for every event type exactly the incident rule the catalogue applies', () => {
    // Act
    const stated = rows().map((cells) => cells[4]);

    // Assess
    expect(stated).toEqual(EVENT_TYPES.map(describeIncidentRule));
  });
});

/** The label of each step `nextStepsFor` picks: the text before its first colon. */
function labels(steps: string[]): string[] {
  return steps.map((step) => step.slice(0, step.indexOf(':')));
}

describe('nextStepsFor', () => {
  it('picks the step of the job status an event reports', () => {
    // Act
    const steps = nextStepsFor('JOB_STATUS_CHANGED', { jobStatuses: ['BROKEN'], deliveryStatus: 'FAILED' });

    // Assess
    expect(labels(steps)).toEqual(['BROKEN']);
  });

  it('gives every step, the catch-all included, for a job status the catalogue does not know', () => {
    // Act
    const steps = nextStepsFor('JOB_STATUS_CHANGED', { jobStatuses: ['PAUSED_FOR_MAINTENANCE'] });

    // Assess
    expect(labels(steps)).toEqual(['BROKEN', 'KILLED', 'FINISHED', 'Any other status']);
  });

  it('picks delivery steps by the delivery status, not by the job status', () => {
    // Act
    const failed = nextStepsFor('DELIVERY_STATUS_CHANGED', {
      jobStatuses: ['FINISHED'],
      deliveryStatus: 'FAILED',
    });
    const ready = nextStepsFor('DELIVERY_STATUS_CHANGED', {
      jobStatuses: ['FINISHED'],
      deliveryStatus: 'READY',
    });

    // Assess
    expect(labels(failed)).toEqual(['FAILED or INTERRUPTED']);
    expect(labels(ready)).toEqual(['READY']);
  });

  it('gives a batch the "All FINISHED" step only when every job of it finished', () => {
    // Act
    const finished = nextStepsFor('BATCH_COMPLETED', { jobStatuses: ['FINISHED', 'FINISHED', 'FINISHED'] });
    const killed = nextStepsFor('BATCH_COMPLETED', { jobStatuses: ['FINISHED', 'KILLED', 'FINISHED'] });

    // Assess
    expect(labels(finished)).toEqual(['All FINISHED']);
    expect(labels(killed)).toEqual(['Any BROKEN or KILLED shard']);
  });

  it('gives a batch without member statuses every step rather than "All FINISHED"', () => {
    // Act
    const steps = nextStepsFor('BATCH_COMPLETED', { jobStatuses: [] });

    // Assess
    expect(labels(steps)).toEqual(['All FINISHED', 'Any BROKEN or KILLED shard']);
  });

  it('always gives the steps of a type that does not depend on status', () => {
    // Act
    const steps = nextStepsFor('JOB_STUCK', { jobStatuses: ['IN_PROGRESS'] });

    // Assess
    expect(steps).toEqual(EVENT_CATALOGUE.JOB_STUCK.nextSteps.map((step) => step.text));
  });

  it('gives no steps for an event type it does not know, Object.prototype keys included', () => {
    expect(nextStepsFor('SOMETHING_NEW', { jobStatuses: ['BROKEN'] })).toEqual([]);
    expect(nextStepsFor('constructor', { jobStatuses: [] })).toEqual([]);
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
