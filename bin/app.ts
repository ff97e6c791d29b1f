/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (see docs/deploy.md). Reads the same configuration
 * file as the CLI (`-c config=<path>`, default `restore-watch.config.json`), validates it, and exits
 * with every problem listed when it is wrong. cdk-nag's AwsSolutions checks run on every synth.
 */
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/config.ts';
import { EXAMPLE_CONFIG_FILE, loadDeployConfig } from '../lib/deploy-config.ts';
import { RestoreWatchStack } from '../lib/restore-watch-stack.ts';

const app = new App();
let loaded: ReturnType<typeof loadDeployConfig>;
try {
  loaded = loadDeployConfig(app.node.tryGetContext('config'));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\n\nFix the file and run the command again (nothing was synthesised).`);
  process.exit(1);
}
if (loaded.usedExample) {
  console.warn(
    `WARNING: restore-watch.config.json not found: synthesising with ${EXAMPLE_CONFIG_FILE}, which watches example projects only. Copy it to restore-watch.config.json (or pass -c config=<path>) before deploying.`,
  );
}

const stackName = app.node.tryGetContext('stackName') ?? 'RestoreWatch';
const stack = new RestoreWatchStack(app, stackName, {
  config: loaded.config,
  ...(loaded.caCertificates ? { caCertificates: loaded.caCertificates } : {}),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (loaded.usedExample) {
  Annotations.of(stack).addWarningV2(
    'restore-watch:example-config',
    `Synthesised from ${EXAMPLE_CONFIG_FILE}: create restore-watch.config.json before deploying.`,
  );
}
// Any finding not acknowledged (with its reason, next to the resource) stops the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
