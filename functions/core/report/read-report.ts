/**
 * The report use case: each target's period read through the store port (two key-range Queries per
 * target, see `StateStore.readPeriod`), then `buildRestoreReport`. Shared by `restore-watch report`
 * and the monthly digest. Targets are read one after another: a report runs once, where a burst of
 * parallel reads would only compete with the polls for the table's capacity.
 */
import type { ReportPeriod, StateStore } from '../ports.ts';
import type { TargetState } from '../types.ts';
import { buildRestoreReport } from './build-report.ts';
import type { RestoreReport } from './report-model.ts';
import type { TargetPeriod } from './target-period.ts';

export interface ReportRequest {
  period: ReportPeriod;
  generatedAt: string;
  /** The targets to report on, in order (`listTargetStates`, filtered). */
  targets: readonly Pick<TargetState, 'name' | 'projectId' | 'clusterId' | 'lastSuccessAt'>[];
}

export async function readRestoreReport(
  store: Pick<StateStore, 'readPeriod'>,
  request: ReportRequest,
): Promise<RestoreReport> {
  const periods: TargetPeriod[] = [];
  for (const target of request.targets) {
    const { events, jobs } = await store.readPeriod(target, request.period);
    periods.push({
      target: {
        name: target.name,
        projectId: target.projectId,
        clusterId: target.clusterId,
        ...(target.lastSuccessAt ? { lastSuccessAt: target.lastSuccessAt } : {}),
      },
      events,
      jobs,
    });
  }
  return buildRestoreReport({ period: request.period, generatedAt: request.generatedAt, targets: periods });
}
