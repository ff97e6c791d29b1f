import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { UnqualifiedLambdaInvoke } from './unqualified-lambda-invoke.ts';

export interface ReportScheduleProps {
  /** The report function. */
  readonly function: lambda.IFunction;
  /** EventBridge Scheduler expression, e.g. `cron(0 8 1 * ? *)` (`deploy.report.schedule`). */
  readonly expression: string;
  /**
   * Invocation attempts after a failed one (Scheduler and Lambda each). A report is worth retrying:
   * unlike a poll, the next tick is a month away.
   * @default 2
   */
  readonly retryAttempts?: number;
}

/**
 * Invokes the report function on `deploy.report.schedule` with the scheduled time, which decides
 * the month reported (a late or retried invocation still reports the right month). A failure that
 * outlasts the retries fails the function, which the ReportErrors alarm reports.
 */
export class ReportSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ReportScheduleProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 2;
    props.function.configureAsyncInvoke({ retryAttempts, maxEventAge: Duration.hours(6) });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.expression(props.expression),
      timeWindow: scheduler.TimeWindow.off(),
      description: 'restore-watch: publish the restore report of the previous month',
      target: new UnqualifiedLambdaInvoke(props.function, {
        retryAttempts,
        maxEventAge: Duration.hours(6),
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
      }),
    });
  }
}
