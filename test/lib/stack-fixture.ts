/**
 * Builds the stack for assertion tests from an in-test configuration (not a file), with the feature
 * flags of cdk.json so the tests see what `cdk synth` sees. Bundling (real esbuild) is opt-in: it is
 * the slow part, so each test file bundles at most once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ConfigInput, parseConfig } from '../../functions/core/config.ts';
import { RestoreWatchStack } from '../../lib/restore-watch-stack.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export const BASE_CONFIG: ConfigInput = {
  targets: [
    { projectId: '5f1e2d3c4b5a697887766554', name: 'payments' },
    { projectId: '5f1e2d3c4b5a697887766555', clusterId: '5f1e2d3c4b5a6978877665aa', name: 'orders-prod' },
  ],
  deploy: {
    schedule: 'rate(5 minutes)',
    subscriptions: { emails: ['dba-oncall@example.com', 'platform@example.com'] },
    logRetentionDays: 90,
  },
};

export interface BuiltStack {
  app: App;
  stack: RestoreWatchStack;
  template: Template;
}

/** An app with the feature flags of cdk.json and the metadata the CLI adds; `outdir` for a real assembly. */
export function cdkApp(options: { bundle?: boolean; outdir?: string } = {}): App {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: {
      ...cdkJson.context,
      // What the CLI sets: construct paths and asset folders in resource metadata.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      // Skipping bundling leaves a placeholder asset: fine for tests that only read the template.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}

export function buildStack(configInput: ConfigInput, options: { bundle?: boolean } = {}): BuiltStack {
  const app = cdkApp(options);
  const stack = new RestoreWatchStack(app, 'RestoreWatch', {
    config: parseConfig(configInput, 'test config'),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Asset hashes change with every dependency bump; the snapshot should not. */
export function normaliseAssetHashes(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}/g, '<asset-hash>')
      // Where bundling is skipped the asset path is the checkout itself: it differs per clone.
      .replace(/("aws:asset:path":)"\/[^"]*"/g, '$1"<checkout>"'),
  );
}
