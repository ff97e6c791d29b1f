/**
 * Injected faults, served first-in first-out: each request takes the oldest fault that matches it,
 * and a fault is gone once it has hit `times` requests.
 */

export type SimulatorFault =
  /** An error answer, e.g. 429 with or without Retry-After, 500, 503. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; errorCode?: string; detail?: string }
  /** Answer normally, but only after `ms` (to trigger client timeouts). */
  | { kind: 'delay'; ms: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** Destroy the connection (TCP reset) before answering. */
  | { kind: 'reset' }
  /** Send the headers and part of the body, then destroy the connection. */
  | { kind: 'reset-mid-body' }
  /** A list answers 200 with `results: []` while `totalCount` says there are more. Lists only. */
  | { kind: 'empty-page' }
  /** Answer exactly this JSON (structurally broken bodies: results not an array, a job without id, ...). */
  | { kind: 'body'; body: unknown; status?: number };

export interface FaultOptions {
  /** How many matching requests the fault hits; default 1. */
  times?: number;
  /**
   * Which requests the fault may hit. A string matches when the request path (with its query) contains
   * it; a RegExp matches when it matches the path alone or the path with its query.
   */
  path?: RegExp | string;
}

interface QueuedFault {
  fault: SimulatorFault;
  remaining: number;
  path?: RegExp | string;
}

export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  add(fault: SimulatorFault, options: FaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`Fault times must be a whole number of 1 or more (got ${times}).`);
    }
    const queued: QueuedFault = { fault: structuredClone(fault), remaining: times };
    if (options.path !== undefined) queued.path = options.path;
    this.#queue.push(queued);
  }

  clear(): void {
    this.#queue.length = 0;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /**
   * The oldest fault matching the request (`target` is path + query) whose kind applies to it, consumed
   * once; undefined when none matches.
   */
  take(
    request: { pathname: string; target: string },
    applies: (fault: SimulatorFault) => boolean,
  ): SimulatorFault | undefined {
    const index = this.#queue.findIndex(
      (queued) => matchesPath(queued.path, request) && applies(queued.fault),
    );
    const queued = this.#queue[index];
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.#queue.splice(index, 1);
    return queued.fault;
  }
}

function matchesPath(
  path: RegExp | string | undefined,
  request: { pathname: string; target: string },
): boolean {
  if (path === undefined) return true;
  if (typeof path === 'string') return request.target.includes(path);
  path.lastIndex = 0;
  if (path.test(request.pathname)) return true;
  path.lastIndex = 0;
  return path.test(request.target);
}
