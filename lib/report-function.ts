import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV } from '../functions/core/environment.ts';
import { TABLE_SCHEMA } from '../functions/core/table-schema.ts';
import {
  acknowledgeTracingWildcard,
  allowPublish,
  functionDefaults,
  lambdaBundling,
  REPO_ROOT,
} from './function-defaults.ts';

/** The monthly digest's entry file. */
export const REPORT_HANDLER_ENTRY = join(REPO_ROOT, 'functions', 'report-handler.ts');

export interface ReportFunctionProps {
  /**
   * Log retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Hard timeout: reading a month of a large fleet is two Queries per target.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Memory; CPU scales with it.
   * @default 512
   */
  readonly memorySize?: number;
}

/**
 * The monthly digest function (`functions/report-handler.ts`): built like the poll function
 * (`function-defaults.ts`), with a role that starts empty and gains only what the `use*` methods grant:
 * Query on the table's gsi1, and publishing to the alerts topic. It cannot write state, read the
 * credentials or reach Cloud Manager.
 */
export class ReportFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReportFunctionProps = {}) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'restore-watch monthly report: only what the use* grants add',
    });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...functionDefaults(),
      entry: REPORT_HANDLER_ENTRY,
      handler: 'handler',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      description: 'restore-watch: publishes the monthly restore report to the alerts topic',
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: lambdaBundling(),
    });
    acknowledgeTracingWildcard(this.role);
  }

  /**
   * Query the table's by-target index (targets, events by time, job states by request time): all the
   * report reads. Sets `RESTORE_WATCH_TABLE`.
   */
  useTable(table: dynamodb.ITable): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueryStateByTarget',
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${TABLE_SCHEMA.indexes.byTarget.name}`],
      }),
    );
    this.function.addEnvironment(ENV.table, table.tableName);
  }

  /** Publish to the alerts topic, with the KMS actions SNS needs on its key; sets `RESTORE_WATCH_TOPIC_ARN`. */
  useTopic(topic: sns.ITopic): void {
    allowPublish(this.role, topic, 'PublishReport');
    this.function.addEnvironment(ENV.topicArn, topic.topicArn);
  }
}
