/**
 * Child process of the benchmark, one per measured poll (a fresh process keeps peak RSS per scenario
 * honest). Protocol over IPC:
 *
 *   parent → { type: 'start', input, warmups }   child runs the warm-up polls, then
 *   child  → { type: 'ready' }                    parent changes the world (the storm), resets its counters
 *   parent → { type: 'go' }                       child runs the measured poll
 *   child  → { type: 'result', measurement } | { type: 'error', error }, then exits
 */
import { type PollInput, pollOnce } from './poll-once.ts';

export type ParentMessage = { type: 'start'; input: PollInput; warmups: number } | { type: 'go' };

process.once('message', (start: ParentMessage) => {
  if (start.type !== 'start') return;
  const go = () =>
    new Promise<void>((resolve) => {
      process.once('message', () => resolve());
      process.send?.({ type: 'ready' });
    });
  pollOnce(start.input, { warmups: start.warmups, beforeMeasured: go }).then(
    (measurement) => process.send?.({ type: 'result', measurement }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { type: 'error', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
        () => process.exit(1),
      ),
  );
});
