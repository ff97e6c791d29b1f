/**
 * Drives the incident stage the way the poll does, without any port: detect a listing (`poll` of
 * fixtures.ts), turn its events into records, run `trackIncidents` with the incidents left open by the
 * previous step, keep what it opened. Each step is one poll of the target.
 */
import { toAuditRecord } from '../../functions/core/audit-record.ts';
import type { Incident } from '../../functions/core/incident-state.ts';
import { type IncidentOutput, trackIncidents } from '../../functions/core/incidents.ts';
import type { Silence } from '../../functions/core/silences.ts';
import type {
  AlertSettings,
  AuditRecord,
  MonitorEvent,
  RestoreJob,
  Target,
} from '../../functions/core/types.ts';
import { EMPTY, type PollState, poll, SETTINGS, TARGET } from './fixtures.ts';

export interface StepOptions {
  settings?: AlertSettings;
  silences?: Silence[];
  pagerduty?: boolean;
  /** Extra records of this poll (a TARGET_FAILING, say) besides what detection found. */
  extra?: MonitorEvent[];
  target?: Target;
}

/** A target watched poll after poll: its job states and its open incidents. */
export class Watched {
  state: PollState = EMPTY;
  open: Incident[] = [];
  /** Every record every step produced, in order. */
  readonly records: AuditRecord[] = [];
  #runs = 0;

  /** One poll of `listing` at `now`. */
  step(listing: readonly RestoreJob[], now: Date, options: StepOptions = {}): IncidentOutput {
    const settings = options.settings ?? SETTINGS;
    const detected = poll(this.state, listing, now, settings, options.target ?? TARGET);
    this.state = detected.next;
    return this.track([...detected.events, ...(options.extra ?? [])], detected.changedJobs, now, options);
  }

  /** One poll that found the target unreachable: only `events` (a TARGET_FAILING, or nothing). */
  unreachable(events: MonitorEvent[], now: Date, options: StepOptions = {}): IncidentOutput {
    return this.track(events, [], now, options);
  }

  private track(
    events: readonly MonitorEvent[],
    changedJobs: Parameters<typeof trackIncidents>[0]['changedJobs'],
    now: Date,
    options: StepOptions,
  ): IncidentOutput {
    const settings = options.settings ?? SETTINGS;
    const runId = `run-${++this.#runs}`;
    const output = trackIncidents({
      target: options.target ?? TARGET,
      open: this.open,
      records: events.map((event) => toAuditRecord(event, runId, settings)),
      changedJobs,
      silences: options.silences ?? [],
      settings,
      pagerduty: options.pagerduty ?? false,
      now,
      runId,
    });
    const changed = new Map(output.changes.map((incident) => [incident.key, incident]));
    this.open = [
      ...this.open.filter((incident) => !changed.has(incident.key)),
      ...output.changes.filter((incident) => incident.resolvedAt === undefined),
    ];
    this.records.push(...output.records);
    return output;
  }
}

/** The records of `output` as `[eventType, action]` pairs. */
export function actions(output: Pick<IncidentOutput, 'records'>): Array<[string, string | undefined]> {
  return output.records.map((record) => [record.eventType, record.action]);
}

/** A silence of the whole test target, active from `startsAt` to `endsAt`. */
export function silenceOf(
  startsAt: Date,
  endsAt: Date,
  matcher: Partial<Silence['matcher']> = {},
  silenceId = 'sil-1',
): Silence {
  return {
    silenceId,
    matcher: { projectId: TARGET.projectId, clusterId: TARGET.clusterId, ...matcher },
    target: TARGET.name,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    createdAt: startsAt.toISOString(),
    createdBy: 'tester',
    reason: 'DR drill',
  };
}
