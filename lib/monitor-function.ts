import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Config } from '../functions/core/config.ts';
import { ENV } from '../functions/core/environment.ts';
import { TABLE_SCHEMA } from '../functions/core/table-schema.ts';
import {
  acknowledgeTracingWildcard,
  allowPublish,
  functionDefaults,
  lambdaBundling,
  REPO_ROOT,
} from './function-defaults.ts';
import type { MonitorNetwork } from './monitor-network.ts';

/** The handler's entry file. */
export const HANDLER_ENTRY = join(REPO_ROOT, 'functions', 'handler.ts');
/** Where the validated configuration lands in the bundle, and so under `/var/task`. */
export const BUNDLED_CONFIG_NAME = 'restore-watch.config.json';
export const BUNDLED_CONFIG_PATH = `/var/task/${BUNDLED_CONFIG_NAME}`;
/** `cloudManager.caFile` in the bundle: next to the configuration, which names it relatively. */
export const BUNDLED_CA_NAME = 'restore-watch.ca.pem';

/**
 * The function's memory (MB) unless a stack sets another: CPU and network scale with it, and Lambda's
 * Node.js bootstrap derives the V8 heap limits from it (the benchmark runs every poll with them).
 */
export const DEFAULT_MEMORY_MB = 512;

/** Item-level DynamoDB actions the state store and the run lease use (no Scan, no table management). */
export const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** Variables the grant helpers own: they cannot be passed in `environment`. */
const MANAGED_VARIABLES: ReadonlySet<string> = new Set([
  ENV.table,
  ENV.topicArn,
  ENV.credentialsSecret,
  ENV.configFile,
  ENV.config,
]);

export interface MonitorFunctionProps {
  /** The validated configuration, copied into the bundle (Lambda variables are capped at 4 KB). */
  readonly config: Config;
  /**
   * The PEM certificates of `cloudManager.caFile`, already read and checked (`loadDeployConfig`):
   * copied into the bundle as `restore-watch.ca.pem`, which the bundled configuration then names.
   * Required exactly when the configuration has a caFile.
   * @default - none
   */
  readonly caCertificates?: string;
  /**
   * Log retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Hard timeout of one run. The handler stops starting targets 30 s before it.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Memory; CPU and network bandwidth scale with it.
   * @default DEFAULT_MEMORY_MB (512)
   */
  readonly memorySize?: number;
  /**
   * Extra environment variables, merged with the function's own (never replacing them). The names the
   * grant helpers set (table, topic, secret, configuration) are refused.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Bundle the AWS SDK v3 clients (reproducible: the versions in package-lock.json) instead of using
   * the ones in the `nodejs24.x` runtime (smaller, but they change under you).
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Run inside a VPC (`deploy.network`): its subnets and security groups, and the permission Lambda
   * needs to manage the function's network interfaces there.
   * @default - outside any VPC
   */
  readonly network?: MonitorNetwork;
}

/**
 * The poll function: `functions/handler.ts` bundled locally with esbuild (ESM, minified, source maps),
 * `nodejs24.x` on ARM64, X-Ray active, its own log group with a retention, and a role that starts
 * empty. Access to each resource is granted by the `use*` method that also sets the variable naming
 * it, so the code can never know of a resource it may not use, nor be allowed one it does not know.
 */
export class MonitorFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: MonitorFunctionProps) {
    super(scope, id);
    const clashes = Object.keys(props.environment ?? {}).filter((name) => MANAGED_VARIABLES.has(name));
    if (clashes.length > 0) {
      throw new Error(
        `${this.node.path}: environment: ${clashes.join(', ')} ${clashes.length > 1 ? 'are' : 'is'} set by the stack (with the matching grant); remove ${clashes.length > 1 ? 'them' : 'it'}`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // No AWSLambdaBasicExecutionRole: it allows writing to any log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'restore-watch poll function: only what the use* grants add',
    });
    this.logGroup.grantWrite(this.role);

    const configDir = mkdtempSync(join(tmpdir(), 'restore-watch-config-'));
    const configCopy = join(configDir, BUNDLED_CONFIG_NAME);
    const bundled = [configCopy];
    let config = props.config;
    if (Boolean(config.cloudManager.caFile) !== Boolean(props.caCertificates)) {
      throw new Error(
        `${this.node.path}: ${props.caCertificates ? 'caCertificates given, but the configuration names no cloudManager.caFile' : 'the configuration names cloudManager.caFile: pass its certificates as caCertificates (loadDeployConfig reads them)'}`,
      );
    }
    if (props.caCertificates) {
      const caCopy = join(configDir, BUNDLED_CA_NAME);
      writeFileSync(caCopy, props.caCertificates);
      bundled.push(caCopy);
      config = { ...config, cloudManager: { ...config.cloudManager, caFile: BUNDLED_CA_NAME } };
    }
    writeFileSync(configCopy, `${JSON.stringify(config, null, 2)}\n`);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...functionDefaults(),
      entry: HANDLER_ENTRY,
      handler: 'handler',
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: props.network.securityGroups,
          }
        : {}),
      description: 'restore-watch: polls Cloud Manager restore jobs and alerts on changes',
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.configFile]: BUNDLED_CONFIG_PATH,
      },
      bundling: lambdaBundling({
        ...(props.bundleAwsSdk !== undefined ? { bundleAwsSdk: props.bundleAwsSdk } : {}),
        // The configuration (and its CA file) travels in the bundle: re-validated by the handler at cold start.
        afterBundling: (outputDir) =>
          bundled.map((path) => `cp ${shellQuote(path)} ${shellQuote(join(outputDir, basename(path)))}`),
      }),
    });
    if (props.network) {
      this.function.node.addDependency(props.network.allowNetworkInterfaces(this.role));
    }
    acknowledgeTracingWildcard(this.role);
  }

  /** Read/write items of the state table (and query its three indexes); sets `RESTORE_WATCH_TABLE`. */
  useTable(table: dynamodb.ITable): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StateTableItems',
        actions: [...TABLE_ITEM_ACTIONS],
        resources: [table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StateTableIndexes',
        actions: ['dynamodb:Query'],
        resources: Object.values(TABLE_SCHEMA.indexes).map(
          (index) => `${table.tableArn}/index/${index.name}`,
        ),
      }),
    );
    this.function.addEnvironment(ENV.table, table.tableName);
  }

  /**
   * Publish to the alerts topic (with exactly the KMS actions SNS needs on its key); sets
   * `RESTORE_WATCH_TOPIC_ARN`. `topic.grantPublish` would add `kms:GenerateDataKey*`, a wildcard.
   */
  useTopic(topic: sns.ITopic): void {
    allowPublish(this.role, topic, 'PublishAlerts');
    this.function.addEnvironment(ENV.topicArn, topic.topicArn);
  }

  /**
   * GetSecretValue on the credentials secret (not `grantRead`, which adds DescribeSecret the function
   * never calls); sets `RESTORE_WATCH_CREDENTIALS_SECRET` to the id it reads it by. A secret known by
   * name only is matched with the `-??????` suffix Secrets Manager appends to its ARN.
   */
  useCredentialsSecret(secret: secretsmanager.ISecret, secretId: string): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCloudManagerCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    secret.encryptionKey?.grantDecrypt(this.role);
    this.function.addEnvironment(ENV.credentialsSecret, secretId);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
