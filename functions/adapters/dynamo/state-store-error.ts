/**
 * One error type for everything the DynamoDB adapter can fail at, with a message that tells a person
 * what to check. The AWS error stays available as `cause`; secrets never reach the message because the
 * adapter only ever stores redacted data and DynamoDB error texts do not echo item values we care about.
 */

/** AWS error names that mean "slow down", retried by the SDK before they reach us. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/** AWS error names and Node codes that mean the credentials or the role do not allow the call. */
const NOT_ALLOWED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'MissingAuthenticationTokenException',
]);

/** Node and SDK codes for "could not reach the endpoint at all". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

export interface StateStoreErrorOptions extends ErrorOptions {
  /** The store or lease operation (`saveJobStates`, `acquireLease`, ...) or the DynamoDB API call. */
  operation: string;
  tableName: string;
  /** AWS error name (e.g. `ResourceNotFoundException`) when the failure came from DynamoDB. */
  errorCode?: string;
}

/** A DynamoDB call of the state store or the run lease failed, or a batch could not be completed. */
export class StateStoreError extends Error {
  readonly operation: string;
  readonly tableName: string;
  readonly errorCode?: string;
  constructor(message: string, options: StateStoreErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'StateStoreError';
    this.operation = options.operation;
    this.tableName = options.tableName;
    if (options.errorCode !== undefined) this.errorCode = options.errorCode;
  }
}

/** Where the client sends requests, for messages only ("region eu-west-1", "endpoint http://..."). */
export interface ClientWhereabouts {
  region?: string;
  endpoint?: string;
}

/** The AWS error name, or the Node error code for network failures. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
  return typeof name === 'string' ? name : undefined;
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return awsErrorName(error) === 'ConditionalCheckFailedException';
}

/**
 * Wraps any failure of a DynamoDB call into a `StateStoreError` whose message names the table, the
 * operation and the most likely fix.
 */
export function toStateStoreError(
  error: unknown,
  operation: string,
  tableName: string,
  where: ClientWhereabouts = {},
): StateStoreError {
  if (error instanceof StateStoreError) return error;
  const code = awsErrorName(error);
  const detail = error instanceof Error ? error.message : String(error);
  const region = where.region ? ` in region ${where.region}` : '';
  const endpoint = where.endpoint ? ` at ${where.endpoint}` : '';
  let message: string;
  if (code === 'ResourceNotFoundException') {
    message =
      `DynamoDB table "${tableName}" was not found${region}${endpoint} (${operation}). ` +
      'Create it with `restore-watch init` (local use or your own account) or deploy the restore-watch stack, ' +
      'and check that RESTORE_WATCH_TABLE, the AWS region and the endpoint point at it.';
  } else if (code !== undefined && NOT_ALLOWED.has(code)) {
    message =
      `DynamoDB refused ${operation} on table "${tableName}"${region} (${code}): check the AWS credentials ` +
      'and that the role or user may use the table and its indexes (dynamodb:GetItem, dynamodb:PutItem, ' +
      'dynamodb:UpdateItem, dynamodb:DeleteItem, dynamodb:Query, dynamodb:BatchGetItem, dynamodb:BatchWriteItem).';
  } else if (code !== undefined && THROTTLING.has(code)) {
    message =
      `DynamoDB throttled ${operation} on table "${tableName}"${region} (${code}) even after retries: ` +
      'check the table capacity mode (on-demand is recommended) and the account limits, then try again.';
  } else if (code !== undefined && UNREACHABLE.has(code)) {
    message =
      `Could not reach DynamoDB${endpoint}${region} for ${operation} on table "${tableName}" (${code}): ` +
      'check the network, the region and any AWS_ENDPOINT_URL_DYNAMODB / endpoint setting.';
  } else {
    message = `DynamoDB ${operation} on table "${tableName}"${region} failed: ${code ? `${code}: ` : ''}${detail}`;
  }
  return new StateStoreError(message, {
    cause: error,
    operation,
    tableName,
    ...(code !== undefined ? { errorCode: code } : {}),
  });
}

/** A client's region and explicit endpoint, for error messages; never throws. */
export async function clientWhereabouts(client: {
  config: { region?: unknown; endpoint?: unknown };
}): Promise<ClientWhereabouts> {
  const where: ClientWhereabouts = {};
  try {
    const region = client.config.region;
    const value = typeof region === 'function' ? await region() : region;
    if (typeof value === 'string') where.region = value;
  } catch {
    // The region could not be resolved: that is worth a message of its own, but not this one.
  }
  try {
    const endpoint = client.config.endpoint;
    const value = typeof endpoint === 'function' ? await endpoint() : endpoint;
    if (value && typeof value === 'object' && 'hostname' in value) {
      const { protocol, hostname, port, path } = value as {
        protocol?: string;
        hostname?: string;
        port?: number;
        path?: string;
      };
      where.endpoint = `${protocol ?? 'https:'}//${hostname ?? ''}${port ? `:${port}` : ''}${path && path !== '/' ? path : ''}`;
    }
  } catch {
    // No explicit endpoint: the SDK resolves the regional one.
  }
  return where;
}
