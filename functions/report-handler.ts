/**
 * The monthly digest's Lambda entry point (only deployed with `deploy.report`): EventBridge Scheduler
 * invokes it on `deploy.report.schedule` and it publishes the `text` report of the previous calendar
 * month to the alerts topic as one `REPORT` message (see functions/core/report/monthly-digest.ts).
 *
 * Why a function of its own rather than an event field on the poll handler: it needs neither the
 * Cloud Manager credentials nor the run lease nor the poll's configuration, only to read the table
 * (Query on gsi1) and publish; its own role grants exactly that, its failures alarm apart from the
 * poll's heartbeat, and the poll function and its template stay as they were without `deploy.report`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { DynamoStateStore } from './adapters/dynamo/dynamo-state-store.ts';
import { SnsReportPublisher } from './adapters/sns/sns-report-publisher.ts';
import { ConfigError } from './core/config.ts';
import { TOPIC_ARN } from './core/config-deploy.ts';
import { ENV } from './core/environment.ts';
import { type DigestResult, publishMonthlyDigest } from './core/report/monthly-digest.ts';
import { logger } from './observability/logger.ts';
import { tracer } from './observability/tracer.ts';

/** What the schedule sends (`<aws.scheduler.scheduled-time>` filled in by EventBridge Scheduler). */
export interface DigestEvent {
  scheduledTime?: string;
}

export interface DigestSettings {
  tableName: string;
  topicArn: string;
}

/** The two variables the stack sets; one `ConfigError` listing every problem. */
export function loadDigestSettings(env: Readonly<Record<string, string | undefined>>): DigestSettings {
  const problems: string[] = [];
  const tableName = env[ENV.table]?.trim() ?? '';
  const topicArn = env[ENV.topicArn]?.trim() ?? '';
  if (!tableName)
    problems.push(`${ENV.table} is not set: it must name the DynamoDB state table (the stack sets it)`);
  if (!topicArn)
    problems.push(`${ENV.topicArn} is not set: it must name the SNS alerts topic (the stack sets it)`);
  else if (!TOPIC_ARN.test(topicArn))
    problems.push(`${ENV.topicArn} is not an SNS topic ARN (arn:aws:sns:region:account:name)`);
  if (problems.length > 0) throw new ConfigError('the report function environment', problems);
  return { tableName, topicArn };
}

/** The month is the one before the scheduled time; a manual invocation without one uses now. */
export function digestTime(event: DigestEvent | undefined, now: Date): Date {
  const scheduled = event?.scheduledTime === undefined ? Number.NaN : Date.parse(event.scheduledTime);
  return Number.isNaN(scheduled) ? now : new Date(scheduled);
}

// ---- cold start ----
const settings = loadDigestSettings(process.env);
const store = new DynamoStateStore({
  client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  tableName: settings.tableName,
});
const publisher = new SnsReportPublisher({
  client: tracer.captureAWSv3Client(new SNSClient({})),
  topicArn: settings.topicArn,
});

export async function digestHandler(event: DigestEvent | undefined): Promise<DigestResult> {
  const result = await publishMonthlyDigest({ store, publisher, at: digestTime(event, new Date()) });
  logger.info('Report published', { ...result, scheduledTime: event?.scheduledTime });
  return result;
}

export const handler = middy(digestHandler)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .onError((request) => {
    logger.error('Report failed', request.error instanceof Error ? request.error : String(request.error));
  });
