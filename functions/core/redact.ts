/**
 * Secret hygiene in one place. `delivery.url` is a bearer credential (whoever holds it downloads the
 * backup), `authValue` is an Ops Manager download token, keys/tokens are ours, and a PagerDuty routing
 * key is the credential of an integration (whoever has it can page the on-call): none of them may
 * reach a log line, an error message, the audit trail or (unless opted in) an alert.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'url',
  'urlV2',
  'authValue',
  'authBearer',
  'authHeader',
  'privateKey',
  'clientSecret',
  'password',
  'access_token',
  'accessToken',
  'refresh_token',
  'token',
  'authorization',
  'Authorization',
  'routing_key',
  'routingKey',
  'pagerdutyRoutingKey',
]);

/** Deep copy of `value` with every secret field replaced by `[redacted]`. Non-plain objects are copied as-is. */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] =
      SECRET_FIELDS.has(key) && inner !== undefined && inner !== null
        ? REDACTED
        : redactValue(inner, depth + 1);
  }
  return out;
}

/**
 * Removes known secret strings from free text (e.g. an upstream error body that echoes a URL).
 * Also strips anything that looks like a backup download link or a bearer token.
 */
export function scrubText(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/https?:\/\/[^\s"'<>]*\/backup\/restore\/[^\s"'<>]*/gi, REDACTED)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`)
    .replace(/\bDigest\s+[^\n]*/g, `Digest ${REDACTED}`);
}
