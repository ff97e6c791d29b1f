/**
 * The PagerDuty channel when its configuration is unusable (a routing key in the secret that cannot be
 * one): every call is reported failed and retryable with what to fix. The events stay owed to PagerDuty
 * (none is lost or parked), the PagerDutyRefused alarm fires, and SNS is not held up: a broken pager
 * configuration must not silence the email and chat alerts.
 */
import type { AlertGroup, AlertPublisher, PublishOutcome } from '../../core/ports.ts';

export class UnusablePagerDuty implements AlertPublisher {
  readonly #reason: string;

  /** `reason` must name the setting and the fix, and never quote the secret. */
  constructor(reason: string) {
    this.#reason = reason;
  }

  async publish(groups: readonly AlertGroup[]): Promise<PublishOutcome[]> {
    return groups.map((group) => ({
      eventIds: group.events.map((e) => e.eventId),
      ok: false,
      error: `Not sent to PagerDuty: ${this.#reason}`,
      retryable: true,
    }));
  }
}
