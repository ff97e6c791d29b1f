/**
 * How often the monitor runs: the time between two runs of `deploy.schedule` (an EventBridge Scheduler
 * expression). The stack sizes its timeout, event age and heartbeat from it (lib/), and a run reads it
 * to tell a target that nobody polls any more from one polled by another run (unwatched.ts). Pure.
 */

export interface SchedulePeriod {
  /** Seconds between two runs (an upper bound when not `exact`). */
  seconds: number;
  /** False for cron expressions whose spacing this module does not work out. */
  exact: boolean;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { minute: 60, hour: 3600, day: 86_400 };

/**
 * The time between two runs of an EventBridge Scheduler expression: exact for `rate(...)` and for the
 * usual cron shapes (every N minutes, hourly, every N hours, daily); otherwise one day, which makes
 * the heartbeat slow rather than noisy (the stack uses the 60-second minimum event age then).
 */
export function schedulePeriod(expression: string): SchedulePeriod {
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression.trim());
  if (rate) return { seconds: Number(rate[1]) * (UNIT_SECONDS[rate[2] as string] ?? 0), exact: true };
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  const [minute, hour, dayOfMonth, , dayOfWeek] = fields;
  const unknown: SchedulePeriod = { seconds: 86_400, exact: false };
  if (fields.length !== 6 || minute === undefined || hour === undefined) return unknown;
  const everyDay = (dayOfMonth === '*' || dayOfMonth === '?') && (dayOfWeek === '*' || dayOfWeek === '?');
  if (!everyDay || fields[3] !== '*') return unknown;
  const single = /^\d{1,2}$/;
  const step = /^(?:\*|0)\/(\d{1,2})$/;
  if (hour === '*') {
    if (minute === '*') return { seconds: 60, exact: true };
    const minuteStep = step.exec(minute);
    if (minuteStep && 60 % Number(minuteStep[1]) === 0)
      return { seconds: Number(minuteStep[1]) * 60, exact: true };
    if (single.test(minute)) return { seconds: 3600, exact: true };
    return unknown;
  }
  if (!single.test(minute)) return unknown;
  const hourStep = step.exec(hour);
  if (hourStep && 24 % Number(hourStep[1]) === 0) return { seconds: Number(hourStep[1]) * 3600, exact: true };
  if (single.test(hour)) return { seconds: 86_400, exact: true };
  return unknown;
}
