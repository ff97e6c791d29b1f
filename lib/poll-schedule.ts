import { Duration, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { schedulePeriod } from '../functions/core/schedule-period.ts';
import { UnqualifiedLambdaInvoke } from './unqualified-lambda-invoke.ts';

/** Lambda and EventBridge Scheduler both refuse a maximum event age under one minute. */
const MIN_EVENT_AGE_SECONDS = 60;
/** Lambda's async invocation keeps an event at most six hours. */
const MAX_LAMBDA_EVENT_AGE_SECONDS = 6 * 3600;

export interface PollScheduleProps {
  /** The function to invoke. */
  readonly function: lambda.IFunction;
  /**
   * EventBridge Scheduler expression, e.g. `rate(5 minutes)`. It also sets how long an undelivered
   * tick stays worth delivering: one period (the next tick is the retry), within what Lambda and
   * Scheduler accept (1 minute to 6 hours); one minute for a cron whose period is not regular.
   */
  readonly expression: string;
  /**
   * How long failed invocations are kept in the failure queue.
   * @default Duration.days(14)
   */
  readonly failureRetention?: Duration;
  /**
   * Whether the schedule runs.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Partitions of the fleet (`deploy.shards`): one schedule per shard, all on the same expression,
   * each sending its shard (`{"shard": "2/4"}`) so that every tick starts N independent runs. With 1,
   * the one schedule sends no shard, exactly as before sharding existed.
   * @default 1
   */
  readonly shards?: number;
}

/**
 * EventBridge Scheduler invokes the function (asynchronously) every period, flexible window off.
 * Retries are off on both legs, Scheduler → Lambda and Lambda's own async retries, because the next
 * tick is the retry and a late duplicate run only contends for the lease. What fails anyway (an
 * invocation Scheduler could not deliver, a run that threw or timed out, an event too old) lands in
 * one encrypted failure queue, whose depth is alarmed.
 *
 * A sharded fleet gets one schedule per shard rather than one schedule fanning out: no extra
 * component (a fan-out function or state machine) that could fail for every shard at once, no
 * permission for the function to invoke itself, and each shard's tick delivered, retried (not) and
 * dead-lettered on its own.
 */
export class PollSchedule extends Construct {
  /** The first (unsharded: the only) schedule. */
  readonly schedule: scheduler.Schedule;
  /** One schedule per shard, in shard order. */
  readonly schedules: scheduler.Schedule[];
  readonly failureQueue: sqs.Queue;
  /** How long an undelivered tick stays worth delivering (see `PollScheduleProps.expression`). */
  readonly maxEventAge: Duration;

  constructor(scope: Construct, id: string, props: PollScheduleProps) {
    super(scope, id);
    const period = schedulePeriod(props.expression);
    this.maxEventAge = Duration.seconds(
      period.exact
        ? Math.min(MAX_LAMBDA_EVENT_AGE_SECONDS, Math.max(MIN_EVENT_AGE_SECONDS, period.seconds))
        : MIN_EVENT_AGE_SECONDS,
    );
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the poll (Lambda on-failure destination and Scheduler DLQ); nothing consumes it automatically, people inspect it after the queue-depth alarm, so a further DLQ would never receive anything.',
    });

    props.function.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: this.maxEventAge,
      onFailure: new destinations.SqsDestination(this.failureQueue),
    });

    const shards = props.shards ?? 1;
    if (!Number.isInteger(shards) || shards < 1) {
      throw new Error(`${this.node.path}: shards must be a whole number of at least 1, got ${shards}`);
    }
    const tick = (id: string, description: string, shard?: string) =>
      new scheduler.Schedule(this, id, {
        schedule: scheduler.ScheduleExpression.expression(props.expression),
        timeWindow: scheduler.TimeWindow.off(),
        enabled: props.enabled ?? true,
        description,
        target: new UnqualifiedLambdaInvoke(props.function, {
          retryAttempts: 0,
          maxEventAge: this.maxEventAge,
          deadLetterQueue: this.failureQueue,
          input: scheduler.ScheduleTargetInput.fromObject({
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
            scheduleArn: scheduler.ContextAttribute.scheduleArn,
            ...(shard ? { shard } : {}),
          }),
        }),
      });
    this.schedules =
      shards === 1
        ? [tick('Schedule', 'restore-watch: poll Cloud Manager restore jobs')]
        : Array.from({ length: shards }, (_, i) =>
            tick(
              `Shard${i + 1}of${shards}`,
              `restore-watch: poll Cloud Manager restore jobs, shard ${i + 1}/${shards}`,
              `${i + 1}/${shards}`,
            ),
          );
    this.schedule = this.schedules[0] as scheduler.Schedule;
  }
}
