/**
 * The incident stage over random restore life cycles: two jobs of one target move through their
 * statuses, deliveries, downloads and expiries, sometimes vanish and come back, while time passes in
 * random steps. Whatever happens:
 *
 * - every resolve and reminder is about an incident that is open at that moment, and every trigger
 *   leaves its incident open;
 * - an incident that stays open still has its condition: a stuck job is IN_PROGRESS and listed, an
 *   expiring link is READY, not downloaded, listed and not yet expired;
 * - no event id is produced twice, and the same history always produces the same records.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RestoreJob } from '../../functions/core/types.ts';
import { at, iso, JOB_A, JOB_B, job } from './fixtures.ts';
import { Watched } from './incident-fixtures.ts';

type Move =
  | 'none'
  | 'finish'
  | 'break'
  | 'kill'
  | 'deliver'
  | 'ready'
  | 'download'
  | 'expire'
  | 'fail'
  | 'vanish'
  | 'return';

interface Step {
  minutes: number;
  a: Move;
  b: Move;
}

interface JobModel {
  listed: boolean;
  job: RestoreJob;
}

const MOVES: Move[] = [
  'none',
  'finish',
  'break',
  'kill',
  'deliver',
  'ready',
  'download',
  'expire',
  'fail',
  'vanish',
  'return',
];

function apply(model: JobModel, move: Move, minute: number): JobModel {
  const current = model.job;
  const delivery = current.delivery ?? {};
  switch (move) {
    case 'finish':
      return current.statusName === 'IN_PROGRESS'
        ? { ...model, job: { ...current, statusName: 'FINISHED' } }
        : model;
    case 'break':
      return current.statusName === 'IN_PROGRESS'
        ? { ...model, job: { ...current, statusName: 'BROKEN' } }
        : model;
    case 'kill':
      return current.statusName === 'IN_PROGRESS'
        ? { ...model, job: { ...current, statusName: 'KILLED' } }
        : model;
    case 'deliver':
      return current.statusName === 'FINISHED'
        ? { ...model, job: { ...current, delivery: { ...delivery, statusName: 'IN_PROGRESS' } } }
        : model;
    case 'ready':
      return current.statusName === 'FINISHED'
        ? {
            ...model,
            job: {
              ...current,
              delivery: { ...delivery, statusName: 'READY', expires: iso(minute + 30 + (minute % 200)) },
            },
          }
        : model;
    case 'download':
      return delivery.statusName === 'READY'
        ? { ...model, job: { ...current, hashes: [{ fileName: 'f', hash: 'h' }] } }
        : model;
    case 'expire':
      return delivery.statusName === 'READY'
        ? { ...model, job: { ...current, delivery: { ...delivery, statusName: 'EXPIRED' } } }
        : model;
    case 'fail':
      return current.statusName === 'FINISHED'
        ? { ...model, job: { ...current, delivery: { ...delivery, statusName: 'FAILED' } } }
        : model;
    case 'vanish':
      return { ...model, listed: false };
    case 'return':
      return { ...model, listed: true };
    default:
      return model;
  }
}

const steps = fc.array(
  fc.record({
    minutes: fc.integer({ min: 1, max: 500 }),
    a: fc.constantFrom(...MOVES),
    b: fc.constantFrom(...MOVES),
  }),
  { minLength: 1, maxLength: 25 },
);

/** Runs a history; returns every record, and checks the invariants after each step. */
function run(history: readonly Step[]) {
  const watched = new Watched();
  let models: JobModel[] = [
    { listed: true, job: job({ id: JOB_A, created: iso(-30) }) },
    { listed: true, job: job({ id: JOB_B, created: iso(-20) }) },
  ];
  watched.step(
    models.map((m) => m.job),
    at(-5),
  );
  const open = new Set<string>();
  let minute = 0;
  for (const step of history) {
    minute += step.minutes;
    models = [apply(models[0] as JobModel, step.a, minute), apply(models[1] as JobModel, step.b, minute)];
    const output = watched.step(
      models.filter((m) => m.listed).map((m) => m.job),
      at(minute),
    );
    for (const record of output.records) {
      const key = record.incidentKey ?? '';
      if (record.action === 'resolve' && record.eventType === 'INCIDENT_RESOLVED') {
        expect(open.has(key), `resolve of ${key} while not open`).toBe(true);
        open.delete(key);
      }
      if (record.action === 'reminder') expect(open.has(key), `reminder of ${key} while not open`).toBe(true);
      if (record.action === 'trigger') open.add(key);
    }
    expect([...open].sort()).toEqual(watched.open.map((incident) => incident.key).sort());
    for (const incident of watched.open) {
      const model = models.find((m) => m.job.id === incident.jobId);
      if (!model) continue;
      const delivery = model.job.delivery;
      if (incident.kind === 'stuck') {
        expect(model.listed && model.job.statusName === 'IN_PROGRESS', `${incident.key} open`).toBe(true);
      }
      if (incident.kind === 'expiring') {
        const stillReady =
          model.listed &&
          delivery?.statusName === 'READY' &&
          !model.job.hashes &&
          Date.parse(delivery.expires ?? '') > at(minute).getTime();
        expect(stillReady, `${incident.key} open`).toBe(true);
      }
    }
  }
  return watched.records;
}

describe('incident stage over random life cycles', () => {
  it('announces only what is open, keeps open only what still holds, and repeats itself exactly', () => {
    fc.assert(
      fc.property(steps, (history) => {
        const records = run(history);
        const ids = records.map((r) => r.eventId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(run(history)).toEqual(records);
      }),
      { numRuns: 200 },
    );
  });
});
