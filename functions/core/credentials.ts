/**
 * Credentials, which never come from the configuration file: Cloud Manager's (an API key pair or a
 * service account) and PagerDuty's routing key, from the environment (CLI) or the credentials secret
 * (Lambda). Problems name the variable or field and never echo a value.
 */
import { ConfigError } from './config.ts';
import { isAllowedBaseUrl } from './config-fields.ts';
import { ENV } from './environment.ts';

/** A PagerDuty channel: where to send and the integration's routing key (a credential). */
export interface PagerDutySettings {
  routingKey: string;
  eventsUrl: string;
}

/** Integration (routing) keys are 32 characters; a ruleset's start with R. */
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

/**
 * The PagerDuty channel from a routing key (environment or secret) and an optional URL override, or
 * undefined when no key is set. Problems name the variable and never echo the key.
 */
export function parsePagerDuty(
  input: { routingKey?: string | undefined; eventsUrl?: string | undefined },
  /** `alerts.pagerduty.eventsUrl` of the configuration (its default when there is none). */
  configuredUrl: string,
  names: { routingKey: string; eventsUrl: string },
): PagerDutySettings | undefined {
  const routingKey = input.routingKey?.trim();
  const override = input.eventsUrl?.trim();
  const problems: string[] = [];
  if (routingKey !== undefined && routingKey !== '' && !ROUTING_KEY.test(routingKey)) {
    problems.push(
      `${names.routingKey} is not a PagerDuty routing key (the 32-character Integration Key of an "Events API v2" integration; its value is not shown)`,
    );
  }
  if (override && !isAllowedBaseUrl(override)) {
    problems.push(
      `${names.eventsUrl} must be an https:// URL (plain http only for localhost / 127.0.0.1 / [::1])`,
    );
  }
  if (problems.length > 0) throw new ConfigError('PagerDuty settings', problems);
  if (!routingKey) return undefined;
  return { routingKey, eventsUrl: override || configuredUrl };
}

/** Cloud Manager credentials: an API key pair (Digest) or a service account (OAuth 2.0). */
export type CloudManagerCredentials =
  | { kind: 'apiKey'; publicKey: string; privateKey: string }
  | { kind: 'serviceAccount'; clientId: string; clientSecret: string };

/**
 * Reads credentials from a flat record (environment variables or a Secrets Manager JSON secret).
 * Accepts `publicKey`/`privateKey` or `clientId`/`clientSecret` (camelCase, as stored in the secret)
 * and the `CLOUD_MANAGER_*` environment variable names. Problems never echo secret values.
 */
export function parseCredentials(
  record: Readonly<Record<string, string | undefined>>,
  source: string,
): CloudManagerCredentials {
  const pick = (...names: string[]) => {
    for (const name of names) {
      const value = record[name];
      if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
    }
    return undefined;
  };
  const publicKey = pick('publicKey', ENV.publicKey);
  const privateKey = pick('privateKey', ENV.privateKey);
  const clientId = pick('clientId', ENV.clientId);
  const clientSecret = pick('clientSecret', ENV.clientSecret);
  const hasKey = Boolean(publicKey || privateKey);
  const hasAccount = Boolean(clientId || clientSecret);
  const apiKey = `${ENV.publicKey} + ${ENV.privateKey}`;
  const serviceAccount = `${ENV.clientId} + ${ENV.clientSecret}`;
  const problems: string[] = [];
  if (hasKey && hasAccount) {
    problems.push(
      `both an API key pair and a service account are set: keep exactly one (${apiKey}, or ${serviceAccount})`,
    );
  } else if (hasKey && !(publicKey && privateKey)) {
    problems.push(
      `${publicKey ? `${ENV.privateKey} (privateKey)` : `${ENV.publicKey} (publicKey)`} is missing: an API key needs both halves`,
    );
  } else if (hasAccount && !(clientId && clientSecret)) {
    problems.push(
      `${clientId ? `${ENV.clientSecret} (clientSecret)` : `${ENV.clientId} (clientId)`} is missing: a service account needs both`,
    );
  } else if (!hasKey && !hasAccount) {
    problems.push(
      `no Cloud Manager credentials: set ${apiKey} (API key) or ${serviceAccount} (service account)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  if (publicKey && privateKey)
    return { kind: 'apiKey', publicKey: publicKey.value, privateKey: privateKey.value };
  if (clientId && clientSecret) {
    return { kind: 'serviceAccount', clientId: clientId.value, clientSecret: clientSecret.value };
  }
  throw new ConfigError(source, ['no Cloud Manager credentials']);
}
