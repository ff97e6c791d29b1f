/**
 * The run lease stage (functions/core/run-lease.ts), guarantee by guarantee, with an in-memory lease
 * and a clock the test moves. The same guarantees over dynalite, with whole runs paused past their
 * lease: test/reliability/leases-and-time-budget.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../functions/core/errors.ts';
import { acquireRunLease, type HeldLease } from '../../functions/core/run-lease.ts';
import type { TargetState } from '../../functions/core/types.ts';
import {
  InMemoryRunLease,
  InMemoryStateStore,
  manualClock,
  recordingLogger,
} from '../support/in-memory-ports.ts';

const TTL = 60_000;
const STATE: TargetState = {
  projectId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  clusterId: 'bbbbbbbbbbbbbbbbbbbbbbbb',
  name: 'orders',
  baselined: true,
  failureStreak: 0,
  failingAlerted: false,
};

async function held(options: { owner?: string } = {}) {
  const lease = new InMemoryRunLease();
  const clock = manualClock();
  const { logger, lines } = recordingLogger();
  const acquisition = await acquireRunLease({
    lease,
    owner: options.owner ?? 'run-1',
    ttlMs: TTL,
    now: clock.now,
    logger,
  });
  if (acquisition.kind !== 'held') throw new Error('expected to hold the lease');
  const store = new InMemoryStateStore();
  return { lease, clock, lines, held: acquisition.lease, store, fenced: acquisition.lease.fence(store) };
}

/** Another run takes the lease, as it can once this run's lease expired. */
async function takeOver(lease: InMemoryRunLease, clock: ReturnType<typeof manualClock>): Promise<void> {
  const result = await lease.acquire('run-2', clock.now(), TTL);
  expect(result.acquired).toBe(true);
}

const release = (lease: HeldLease) => lease.release();

describe('acquiring the run lease', () => {
  it('says who holds it when another run does, and takes nothing', async () => {
    const lease = new InMemoryRunLease();
    const clock = manualClock();
    await lease.acquire('lambda-1', clock.now(), TTL);

    const result = await acquireRunLease({
      lease,
      owner: 'cli-1',
      ttlMs: TTL,
      now: clock.now,
      logger: recordingLogger().logger,
    });

    expect(result).toMatchObject({ kind: 'held-by-other', holder: 'lambda-1' });
    expect(lease.holder?.owner).toBe('lambda-1');
  });
});

describe('L1: writes go through only while the lease is held', () => {
  it('passes every write to the store without any lease call while plenty of the lease is left', async () => {
    const { lease, store, fenced, held: h } = await held();

    await fenced.saveTargetStates([STATE]);
    await fenced.recordEvents([]);

    expect(store.calls.of('saveTargetStates')).toBe(1);
    expect(store.calls.of('recordEvents')).toBe(1);
    expect(lease.calls.of('renew')).toBe(0);
    await release(h);
  });

  it('lets reads through without looking at the lease, even once it is lost', async () => {
    const { lease, clock, store, fenced, held: h } = await held();
    clock.advance(2 * TTL);
    await takeOver(lease, clock);
    await expect(fenced.saveTargetStates([STATE])).rejects.toBeInstanceOf(LeaseLostError);

    await fenced.getTargetStates([STATE]);
    await fenced.listOwedEvents(10);

    expect(store.calls.of('getTargetStates')).toBe(1);
    expect(store.calls.of('listOwedEvents')).toBe(1);
    await release(h);
  });
});

describe('L2: once lost, the lease stays lost', () => {
  it('refuses every later write with the same error and aborts its signal with it', async () => {
    const { lease, clock, store, fenced, held: h } = await held();
    clock.advance(2 * TTL);
    await takeOver(lease, clock);

    const first = await fenced.saveTargetStates([STATE]).catch((error: unknown) => error);
    const second = await fenced.markPublished([]).catch((error: unknown) => error);

    expect(first).toBeInstanceOf(LeaseLostError);
    expect(second).toBe(first);
    expect(h.signal.aborted).toBe(true);
    expect(h.signal.reason).toBe(first);
    expect(h.lost).toBe(first);
    expect(store.calls.of('saveTargetStates')).toBe(0);
    expect(store.calls.of('markPublished')).toBe(0);
  });
});

describe('L3: a pause cannot slip a write through', () => {
  it('renews before a write once less than half of the lease is left, and writes', async () => {
    const { lease, clock, store, fenced, held: h } = await held();
    clock.advance(TTL / 2 + 1);

    await fenced.saveTargetStates([STATE]);

    expect(lease.calls.of('renew')).toBe(1);
    expect(lease.holder).toEqual({ owner: 'run-1', expiresAt: clock.now().getTime() + TTL });
    expect(store.calls.of('saveTargetStates')).toBe(1);
    await release(h);
  });

  it('refuses the write when the renewal finds another run holding the lease', async () => {
    const { lease, clock, store, fenced, lines } = await held();
    clock.advance(TTL + 1);
    await takeOver(lease, clock);

    await expect(fenced.saveJobStates(STATE, [])).rejects.toBeInstanceOf(LeaseLostError);

    expect(store.calls.of('saveJobStates')).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'Poll lease lost; stopping this run' }),
    );
  });

  it('refuses the write when another run took the lease and already released it', async () => {
    const { lease, clock, store, fenced } = await held();
    clock.advance(TTL + 1);
    await takeOver(lease, clock);
    await lease.release('run-2');

    await expect(fenced.recordEvents([])).rejects.toBeInstanceOf(LeaseLostError);
    expect(store.calls.of('recordEvents')).toBe(0);
  });

  it('keeps writing after a long pause when nobody took the lease meanwhile (it is still this run’s)', async () => {
    const { clock, store, fenced, held: h } = await held();
    clock.advance(10 * TTL);

    await fenced.saveTargetStates([STATE]);

    expect(store.calls.of('saveTargetStates')).toBe(1);
    expect(h.lost).toBeUndefined();
    await release(h);
  });

  it('renews once for writes that arrive together', async () => {
    const { lease, clock, fenced, held: h } = await held();
    clock.advance(TTL / 2 + 1);

    await Promise.all([fenced.saveTargetStates([STATE]), fenced.recordEvents([]), fenced.markPublished([])]);

    expect(lease.calls.of('renew')).toBe(1);
    await release(h);
  });
});

describe('L4: a renewal that fails for another reason', () => {
  it('lets writes through while the confirmed lifetime lasts, and retries the renewal at the next write', async () => {
    const { lease, clock, store, fenced, held: h } = await held();
    const renew = lease.renew.bind(lease);
    let failures = 1;
    lease.renew = async (...args) => {
      if (failures-- > 0) throw new Error('DynamoDB unreachable');
      return renew(...args);
    };
    clock.advance(TTL / 2 + 1);

    await fenced.saveTargetStates([STATE]);
    await fenced.saveTargetStates([STATE]);

    expect(store.calls.of('saveTargetStates')).toBe(2);
    expect(lease.calls.of('renew')).toBe(1);
    expect(h.lost).toBeUndefined();
    await release(h);
  });

  it('treats the lease as lost once its confirmed lifetime is over and it still cannot be renewed', async () => {
    const { lease, clock, store, fenced } = await held();
    lease.renew = async () => {
      throw new Error('DynamoDB unreachable');
    };
    clock.advance(TTL + 1);

    await expect(fenced.saveTargetStates([STATE])).rejects.toBeInstanceOf(LeaseLostError);
    expect(store.calls.of('saveTargetStates')).toBe(0);
  });
});

describe('L5: release', () => {
  it('gives the lease back when this run still holds it', async () => {
    const { lease, held: h } = await held();

    await h.release();

    expect(lease.holder).toBeUndefined();
  });

  it('leaves another run’s lease alone once this one was lost', async () => {
    const { lease, clock, fenced, held: h } = await held();
    clock.advance(2 * TTL);
    await takeOver(lease, clock);
    await fenced.saveTargetStates([STATE]).catch(() => undefined);

    await h.release();

    expect(lease.calls.of('release')).toBe(0);
    expect(lease.holder?.owner).toBe('run-2');
  });

  it('never throws: a release that fails is logged, and the lease expires by itself', async () => {
    const { lease, lines, held: h } = await held();
    lease.release = () => {
      throw new Error('DynamoDB unreachable');
    };

    await expect(h.release()).resolves.toBeUndefined();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Could not release the poll lease; it expires by itself',
      }),
    );
  });
});
