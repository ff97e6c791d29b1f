/**
 * Environment variable names: one definition for the CLI, the Lambda handler and the CDK stack that
 * sets them (always in the same call that grants access to the resource they name).
 */
export const ENV = {
  /** State table name. CLI: when unset, an embedded dynalite persisted under `.restore-watch/`. */
  table: 'RESTORE_WATCH_TABLE',
  /** Alerts topic ARN. CLI: when unset, alerts are printed instead of published. */
  topicArn: 'RESTORE_WATCH_TOPIC_ARN',
  /** Overrides `cloudManager.baseUrl` of the configuration. */
  baseUrl: 'CLOUD_MANAGER_BASE_URL',
  publicKey: 'CLOUD_MANAGER_PUBLIC_KEY',
  privateKey: 'CLOUD_MANAGER_PRIVATE_KEY',
  clientId: 'CLOUD_MANAGER_CLIENT_ID',
  clientSecret: 'CLOUD_MANAGER_CLIENT_SECRET',
  /** Lambda: Secrets Manager secret (name or ARN) holding the credentials as JSON. */
  credentialsSecret: 'RESTORE_WATCH_CREDENTIALS_SECRET',
  /** Inline configuration JSON; wins over the file. The stack ships the validated file in the bundle instead (env vars cap at 4 KB). */
  config: 'RESTORE_WATCH_CONFIG',
  /** Config file path for the CLI (overridden by `--config`). */
  configFile: 'RESTORE_WATCH_CONFIG_FILE',
  /**
   * CLI: the routing key of a PagerDuty "Events API v2" integration; set, PagerDuty is a channel. A
   * credential: never printed. The Lambda reads it from the credentials secret (`pagerdutyRoutingKey`).
   */
  pagerdutyRoutingKey: 'PAGERDUTY_ROUTING_KEY',
  /** Overrides `alerts.pagerduty.eventsUrl` (EU service regions, tests). */
  pagerdutyEventsUrl: 'PAGERDUTY_EVENTS_URL',
} as const;
