/**
 * One LocalPagerDuty for a test file: started before its tests, reset before each, stopped after.
 * The peer exists at once; its address only once `beforeAll` ran, so use it inside tests and hooks.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { LocalPagerDuty, type LocalPagerDutyOptions } from './local-pagerduty.ts';

export function useLocalPagerDuty(options?: LocalPagerDutyOptions): LocalPagerDuty {
  const pd = new LocalPagerDuty(options);
  beforeAll(async () => {
    await pd.start();
  });
  afterAll(async () => {
    await pd.stop();
  });
  beforeEach(() => {
    pd.reset();
  });
  return pd;
}
