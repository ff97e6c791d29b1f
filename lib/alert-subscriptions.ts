import * as sns from 'aws-cdk-lib/aws-sns';
import type { EmailSubscription } from '../functions/core/config.ts';
import { SEVERITY_ORDER, type Severity } from '../functions/core/types.ts';

/** One email address and, for the alerts topic, the SNS filter policy its entry asks for. */
export interface EmailSubscriber {
  readonly address: string;
  /** Absent: every alert. */
  readonly filterPolicy?: Readonly<Record<string, sns.SubscriptionFilter>>;
}

/**
 * `deploy.subscriptions.emails` as subscribers of the alerts topic. A bare address gets every alert
 * (exactly the subscription it always got, so a configuration without filters synthesises the same
 * template); `{ address, teams, minSeverity }` becomes a filter policy on the message attributes every
 * alert carries: `team` one of the teams, `severity` at or above the minimum (both must hold).
 */
export function alertSubscribers(entries: readonly EmailSubscription[]): EmailSubscriber[] {
  return entries.map((entry) => {
    if (typeof entry === 'string') return { address: entry };
    const policy: Record<string, sns.SubscriptionFilter> = {};
    if (entry.teams && entry.teams.length > 0) {
      policy.team = sns.SubscriptionFilter.stringFilter({ allowlist: [...entry.teams] });
    }
    if (entry.minSeverity) {
      policy.severity = sns.SubscriptionFilter.stringFilter({ allowlist: severitiesFrom(entry.minSeverity) });
    }
    return Object.keys(policy).length > 0
      ? { address: entry.address, filterPolicy: policy }
      : { address: entry.address };
  });
}

/** Every address, unfiltered: the operations topic carries alarms, which have none of the alert attributes. */
export function operationsSubscribers(entries: readonly EmailSubscription[]): EmailSubscriber[] {
  return [...new Set(entries.map((entry) => (typeof entry === 'string' ? entry : entry.address)))].map(
    (address) => ({ address }),
  );
}

function severitiesFrom(min: Severity): string[] {
  return (Object.keys(SEVERITY_ORDER) as Severity[]).filter((s) => SEVERITY_ORDER[s] >= SEVERITY_ORDER[min]);
}
