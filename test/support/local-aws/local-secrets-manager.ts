/**
 * LocalSecretsManager: a real loopback Secrets Manager endpoint for tests, spoken to by the unmodified
 * `@aws-sdk/client-secrets-manager` (through `endpoint`, or `AWS_ENDPOINT_URL_SECRETS_MANAGER` in a
 * child process, which is how @middy/secrets-manager's own client finds it).
 *
 * Wire protocol: AWS JSON 1.1, as the installed client (3.1164, `AwsJson1_1Protocol`) speaks it: a POST
 * to `/` with `X-Amz-Target: secretsmanager.<Action>` and `Content-Type: application/x-amz-json-1.1`,
 * answered with a JSON body; errors carry `__type` (the exception name the SDK uses as the error's
 * `name`) and `message`. Timestamps are epoch seconds.
 *
 * Written from the Secrets Manager API reference (GetSecretValue, PutSecretValue, CreateSecret,
 * staging labels).
 *
 * Implemented:
 * - GetSecretValue by name, full ARN or partial ARN (the ARN without its 6-character suffix), for the
 *   AWSCURRENT version or a given VersionId / VersionStage (both: they must name the same version);
 *   SecretString or SecretBinary (base64), VersionId, ARN, Name, VersionStages, CreatedDate.
 *   Unknown secrets or versions answer ResourceNotFoundException "Secrets Manager can't find the
 *   specified secret." (400).
 * - PutSecretValue (rotation): a new version takes AWSCURRENT (or the given stages); the version that
 *   loses AWSCURRENT becomes AWSPREVIOUS. ClientRequestToken is the version id (the SDK generates it):
 *   repeating it with the same value is a no-op, with another value ResourceExistsException. Exactly
 *   one of SecretString / SecretBinary (InvalidRequestException / InvalidParameterException).
 * - CreateSecret (ResourceExistsException when the name is taken).
 * - Unknown actions answer UnknownOperationException (400).
 * - Test hooks: `putSecret` (create or rotate without the SDK), GetSecretValue calls counted per secret
 *   (`getSecretValueCount`), calls per action, and the next N calls failing with any error
 *   (`failNext`, `SECRETS_MANAGER_FAULTS`).
 *
 * Not implemented: deletion and restore, DescribeSecret, ListSecrets, BatchGetSecretValue, rotation
 * Lambdas, resource policies, replication, tags, KMS (only its errors, by injection), value size limits,
 * signature checks (an `Authorization` header must merely exist).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type InjectedFault,
  LocalAwsPeer,
  type LocalAwsPeerOptions,
  type PeerReply,
  type PeerRequest,
} from './local-aws-peer.ts';

export type SecretsManagerAction = 'GetSecretValue' | 'PutSecretValue' | 'CreateSecret';

const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

/** Secrets Manager errors by `__type` and status (API reference, Common and per-action errors). */
export const SECRETS_MANAGER_FAULTS = {
  /** InternalServiceError, server fault (the SDK retries it) */
  internalServiceError: {
    code: 'InternalServiceError',
    status: 500,
    message: 'An error occurred on the server side.',
  },
  /** ThrottlingException (no model class: the SDK's name is the code; it retries it) */
  throttling: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  /** AccessDeniedException */
  accessDenied: {
    code: 'AccessDeniedException',
    status: 400,
    message: 'User is not authorized to perform: secretsmanager:GetSecretValue on resource',
  },
  /** DecryptionFailure: KMS could not decrypt the secret */
  decryptionFailure: {
    code: 'DecryptionFailure',
    status: 400,
    message: 'Secrets Manager can’t decrypt the protected secret text using the provided KMS key.',
  },
} as const satisfies Record<string, Required<InjectedFault>>;

export interface LocalSecretsManagerOptions extends LocalAwsPeerOptions {
  /** Secrets that exist from the start: name → SecretString. @default none */
  secrets?: Readonly<Record<string, string>>;
}

/** What `putSecret` returns: where the new version is. */
export interface SecretVersionRef {
  arn: string;
  name: string;
  versionId: string;
}

interface SecretVersion {
  id: string;
  secretString?: string;
  secretBinary?: string;
  stages: Set<string>;
  createdSeconds: number;
}

interface Secret {
  name: string;
  arn: string;
  versions: SecretVersion[];
}

/** A Secrets Manager error answer: `__type`, status and message. */
class SecretsManagerApiError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'SecretsManagerApiError';
    this.type = type;
    this.status = status;
  }
}

const notFound = (message = "Secrets Manager can't find the specified secret.") =>
  new SecretsManagerApiError('ResourceNotFoundException', message);

/** A loopback Secrets Manager endpoint; see the module header for what it implements. */
export class LocalSecretsManager extends LocalAwsPeer<SecretsManagerAction> {
  protected readonly endpointEnvName = 'AWS_ENDPOINT_URL_SECRETS_MANAGER';
  protected readonly missingAuthentication = {
    code: 'MissingAuthenticationTokenException',
    status: 403,
    message: 'Missing Authentication Token',
  };
  readonly #secrets = new Map<string, Secret>();
  /** GetSecretValue calls by secret name (or by the SecretId asked for, when no secret matched). */
  readonly #reads = new Map<string, number>();

  constructor(options: LocalSecretsManagerOptions = {}) {
    super(options);
    for (const [name, value] of Object.entries(options.secrets ?? {})) this.putSecret(name, value);
  }

  /**
   * Creates the secret, or rotates it (a new AWSCURRENT version, the old one AWSPREVIOUS), without
   * going through the SDK. Does not count as a call.
   */
  putSecret(name: string, secretString: string): SecretVersionRef {
    const secret = this.#secrets.get(name) ?? this.#create(name);
    const version = addVersion(secret, randomUUID(), { secretString }, [CURRENT]);
    return { arn: secret.arn, name, versionId: version.id };
  }

  /** The ARN of an existing secret (it ends in a random 6-character suffix, as in AWS). */
  arnOf(name: string): string {
    const secret = this.#secrets.get(name);
    if (!secret) throw new Error(`LocalSecretsManager has no secret named '${name}'`);
    return secret.arn;
  }

  /** The AWSCURRENT SecretString of a secret, e.g. after a test rotated it through the SDK. */
  currentValue(name: string): string | undefined {
    return this.#secrets.get(name)?.versions.find((v) => v.stages.has(CURRENT))?.secretString;
  }

  /** GetSecretValue calls that named this secret (by name, ARN or partial ARN), whatever their outcome. */
  getSecretValueCount(name: string): number {
    return this.#reads.get(name) ?? 0;
  }

  /** Forgets counts and pending faults; secrets stay. */
  override reset(): void {
    super.reset();
    this.#reads.clear();
  }

  #create(name: string): Secret {
    // AWS appends a hyphen and six random characters so a re-created secret gets a new ARN.
    const suffix = randomBytes(6)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 6);
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix}`,
      versions: [],
    };
    this.#secrets.set(name, secret);
    return secret;
  }

  #find(secretId: string): Secret | undefined {
    for (const secret of this.#secrets.values()) {
      if (secretId === secret.name || secretId === secret.arn || secretId === secret.arn.slice(0, -7))
        return secret;
    }
    return undefined;
  }

  protected actionOf(request: PeerRequest): string {
    const target = headerValue(request.headers['x-amz-target']);
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    // Counted per secret here, before fault injection, so a faulted read still counts as a read.
    if (action === 'GetSecretValue') {
      const secretId = parseBody(request.body)?.SecretId;
      if (typeof secretId === 'string') {
        const key = this.#find(secretId)?.name ?? secretId;
        this.#reads.set(key, (this.#reads.get(key) ?? 0) + 1);
      }
    }
    return action;
  }

  protected errorReply(fault: Required<InjectedFault>): PeerReply {
    return errorJson(fault.code, fault.status, fault.message);
  }

  protected handle(action: string, request: PeerRequest): PeerReply {
    try {
      const input = parseBody(request.body);
      if (!input)
        throw new SecretsManagerApiError('SerializationException', 'The request body is not a JSON object');
      switch (action) {
        case 'GetSecretValue':
          return okJson(this.#getSecretValue(input));
        case 'PutSecretValue':
          return okJson(this.#putSecretValue(input));
        case 'CreateSecret':
          return okJson(this.#createSecret(input));
        default:
          throw new SecretsManagerApiError('UnknownOperationException', `Unknown operation ${action}`);
      }
    } catch (error) {
      if (error instanceof SecretsManagerApiError) return errorJson(error.type, error.status, error.message);
      throw error;
    }
  }

  #getSecretValue(input: JsonObject): JsonObject {
    const secret = this.#find(requiredString(input, 'SecretId'));
    if (!secret) throw notFound();
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    // A VersionId names one version; a staging label names whichever version carries it now.
    const version =
      versionId !== undefined
        ? secret.versions.find((v) => v.id === versionId && (stage === undefined || v.stages.has(stage)))
        : secret.versions.find((v) => v.stages.has(stage ?? CURRENT));
    if (!version) {
      const asked =
        versionId !== undefined ? `VersionId: ${versionId}` : `staging label: ${stage ?? CURRENT}`;
      throw notFound(`Secrets Manager can't find the specified secret value for ${asked}`);
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.createdSeconds,
    };
  }

  #putSecretValue(input: JsonObject): JsonObject {
    const secret = this.#find(requiredString(input, 'SecretId'));
    if (!secret) throw notFound();
    const value = secretValue(input);
    const token = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    const stages = optionalStrings(input, 'VersionStages') ?? [CURRENT];
    const version = addVersion(secret, token, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  #createSecret(input: JsonObject): JsonObject {
    const name = requiredString(input, 'Name');
    if (this.#secrets.has(name)) {
      throw new SecretsManagerApiError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const hasValue = input.SecretString !== undefined || input.SecretBinary !== undefined;
    const value = hasValue ? secretValue(input) : undefined;
    const secret = this.#create(name);
    if (!value) return { ARN: secret.arn, Name: name };
    const version = addVersion(secret, optionalString(input, 'ClientRequestToken') ?? randomUUID(), value, [
      CURRENT,
    ]);
    return { ARN: secret.arn, Name: name, VersionId: version.id };
  }
}

/** Starts a LocalSecretsManager; the CLI-free entry point for tests and harnesses. Call `stop()` when done. */
export async function startLocalSecretsManager(
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  const secretsManager = new LocalSecretsManager(options);
  await secretsManager.start();
  return secretsManager;
}

/**
 * Adds a version (or returns the existing one for a repeated token with the same value) and moves the
 * given staging labels onto it; the version that loses AWSCURRENT gets AWSPREVIOUS.
 */
function addVersion(
  secret: Secret,
  token: string,
  value: { secretString?: string; secretBinary?: string },
  stages: readonly string[],
): SecretVersion {
  if (token.length < 32 || token.length > 64) {
    throw new SecretsManagerApiError(
      'ValidationException',
      "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
    );
  }
  const existing = secret.versions.find((v) => v.id === token);
  if (existing) {
    if (existing.secretString === value.secretString && existing.secretBinary === value.secretBinary)
      return existing;
    throw new SecretsManagerApiError(
      'ResourceExistsException',
      "You can't modify an existing version, you can only create a new version.",
    );
  }
  const version: SecretVersion = {
    id: token,
    ...value,
    stages: new Set(),
    createdSeconds: Date.now() / 1000,
  };
  const previousCurrent = secret.versions.find((v) => v.stages.has(CURRENT));
  for (const stage of stages) {
    for (const other of secret.versions) other.stages.delete(stage);
    version.stages.add(stage);
  }
  if (previousCurrent && version.stages.has(CURRENT)) {
    for (const other of secret.versions) other.stages.delete(PREVIOUS);
    previousCurrent.stages.add(PREVIOUS);
  }
  secret.versions.push(version);
  return version;
}

// --- JSON protocol --------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function parseBody(body: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(body === '' ? '{}' : body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function requiredString(input: JsonObject, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    const member = `${field.charAt(0).toLowerCase()}${field.slice(1)}`;
    throw new SecretsManagerApiError(
      'ValidationException',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  return typeof value === 'string' ? value : undefined;
}

function optionalStrings(input: JsonObject, field: string): string[] | undefined {
  const value = input[field];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0
    ? value
    : undefined;
}

function secretValue(input: JsonObject): { secretString?: string; secretBinary?: string } {
  const secretString = optionalString(input, 'SecretString');
  const secretBinary = optionalString(input, 'SecretBinary');
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new SecretsManagerApiError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString === undefined && secretBinary === undefined) {
    throw new SecretsManagerApiError(
      'InvalidRequestException',
      'You must provide either SecretString or SecretBinary.',
    );
  }
  return secretString !== undefined ? { secretString } : { secretBinary: secretBinary as string };
}

function okJson(body: JsonObject): PeerReply {
  return { status: 200, contentType: CONTENT_TYPE, body: JSON.stringify(body) };
}

function errorJson(type: string, status: number, message: string): PeerReply {
  return { status, contentType: CONTENT_TYPE, body: JSON.stringify({ __type: type, message }) };
}
