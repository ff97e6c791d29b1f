/**
 * How restore-watch's functions are built, shared by every function construct: `nodejs24.x` on
 * ARM64 with X-Ray, bundled locally by esbuild (ESM, minified, source maps without sources), the
 * dependencies pinned by package-lock.json. One definition, so the poll function and the report
 * function cannot drift apart (the benchmark's bench/bundle.ts mirrors the same esbuild options).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The function settings every restore-watch function shares. */
export function functionDefaults(): Pick<
  nodejs.NodejsFunctionProps,
  'runtime' | 'architecture' | 'tracing' | 'depsLockFilePath' | 'projectRoot'
> {
  return {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    tracing: lambda.Tracing.ACTIVE,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    projectRoot: REPO_ROOT,
  };
}

export interface LambdaBundlingOptions {
  /** Bundle the AWS SDK v3 clients (the lock file's versions) rather than the runtime's. @default true */
  readonly bundleAwsSdk?: boolean;
  /** Shell commands run after bundling, given the output folder (e.g. to copy a file into it). @default none */
  readonly afterBundling?: (outputDir: string) => string[];
}

export function lambdaBundling(options: LambdaBundlingOptions = {}): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    externalModules: options.bundleAwsSdk === false ? ['@aws-sdk/*'] : [],
    // CDK runs the local esbuild as `npx --no-install esbuild`. Under `npx -p node@24 ...` (how the
    // README and CI run Node 24 on older machines) the outer npx exports its package list, and the
    // inner npx would refuse to run without "installing" node@24 again: clear it.
    environment: { npm_config_package: '' },
    // CommonJS dependencies (the X-Ray SDK) call require(); ESM output needs one.
    banner:
      "import{createRequire as __rwCreateRequire}from'node:module';const require=__rwCreateRequire(import.meta.url);",
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => options.afterBundling?.(outputDir) ?? [],
    },
  };
}

/**
 * Active tracing needs X-Ray's PutTraceSegments/PutTelemetryRecords, which take no resource: the one
 * `Resource: "*"` a function role of restore-watch has, acknowledged for cdk-nag with the reason.
 */
export function acknowledgeTracingWildcard(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions, so active tracing needs Resource "*"; every other statement of this role names its resource.',
  });
}

/**
 * `sns:Publish` on `topic` with exactly the KMS actions SNS needs on its key: `topic.grantPublish`
 * would add `kms:GenerateDataKey*`, a wildcard.
 */
export function allowPublish(role: iam.IRole, topic: sns.ITopic, sid: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions: ['sns:Publish'], resources: [topic.topicArn] }),
  );
  topic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
}
