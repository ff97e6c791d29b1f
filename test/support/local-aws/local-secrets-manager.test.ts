/**
 * LocalSecretsManager against the real `@aws-sdk/client-secrets-manager` (and @middy/secrets-manager,
 * the handler's consumer): reads by name and ARN, rotation through PutSecretValue, the error names the
 * real service gives the SDK, per-secret read counts and fault injection.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type LocalSecretsManager,
  SECRETS_MANAGER_FAULTS,
  startLocalSecretsManager,
} from './local-secrets-manager.ts';
import { rejection } from './rejection.ts';

const CREDENTIALS = JSON.stringify({ publicKey: 'TESTPUBLIC', privateKey: 'test-private-0c2f6a' });
const ROTATED = JSON.stringify({ publicKey: 'TESTPUBLIC', privateKey: 'test-private-rotated-77e1' });

let sm: LocalSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  sm = await startLocalSecretsManager({ secrets: { 'restore-watch/credentials': CREDENTIALS } });
  // One attempt: every HTTP call in these tests is one the test made.
  client = new SecretsManagerClient({ ...sm.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sm.stop();
});
beforeEach(() => {
  sm.reset();
});

function get(secretId: string, extra: { VersionId?: string; VersionStage?: string } = {}) {
  return client.send(new GetSecretValueCommand({ SecretId: secretId, ...extra }));
}

/** A secret of its own per test, so rotations do not leak between tests. */
function freshSecret(name: string, value = CREDENTIALS): string {
  sm.putSecret(name, value);
  return name;
}

describe('LocalSecretsManager GetSecretValue', () => {
  it('returns the current SecretString with its ARN, name, version id and AWSCURRENT stage', async () => {
    // Act
    const answer = await get('restore-watch/credentials');

    // Assess
    expect(answer.SecretString).toBe(CREDENTIALS);
    expect(answer.Name).toBe('restore-watch/credentials');
    expect(answer.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:restore-watch\/credentials-[A-Za-z0-9]{6}$/,
    );
    expect(answer.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.VersionStages).toEqual(['AWSCURRENT']);
    expect(answer.CreatedDate).toBeInstanceOf(Date);
  });

  it('finds the secret by full ARN and by partial ARN (without the random suffix)', async () => {
    const arn = sm.arnOf('restore-watch/credentials');

    const byArn = await get(arn);
    const byPartialArn = await get(arn.slice(0, -7));

    expect([byArn.SecretString, byPartialArn.SecretString]).toEqual([CREDENTIALS, CREDENTIALS]);
    expect(sm.getSecretValueCount('restore-watch/credentials')).toBe(2);
  });

  it('answers an unknown secret with ResourceNotFoundException (400) and still counts the read', async () => {
    const error = await rejection(get('restore-watch/missing'));

    expect([error.name, error.message, error.$metadata?.httpStatusCode]).toEqual([
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret.",
      400,
    ]);
    expect(sm.getSecretValueCount('restore-watch/missing')).toBe(1);
  });

  it('answers an unknown VersionId or staging label with ResourceNotFoundException', async () => {
    const byVersion = await rejection(get('restore-watch/credentials', { VersionId: 'f'.repeat(32) }));
    const byStage = await rejection(get('restore-watch/credentials', { VersionStage: 'AWSPREVIOUS' }));

    expect([byVersion.name, byStage.name]).toEqual([
      'ResourceNotFoundException',
      'ResourceNotFoundException',
    ]);
  });

  it('counts reads per secret, not per call', async () => {
    const other = freshSecret('restore-watch/other');

    await get('restore-watch/credentials');
    await get(other);
    await get(other);

    expect(sm.getSecretValueCount('restore-watch/credentials')).toBe(1);
    expect(sm.getSecretValueCount(other)).toBe(2);
    expect(sm.callCount('GetSecretValue')).toBe(3);
  });
});

describe('LocalSecretsManager PutSecretValue (rotation)', () => {
  it('makes the new value AWSCURRENT and keeps the old one as AWSPREVIOUS', async () => {
    // Prepare
    const name = freshSecret('rotate/one');
    const before = await get(name);

    // Act
    const put = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED }));

    // Assess
    const current = await get(name);
    const previous = await get(name, { VersionStage: 'AWSPREVIOUS' });
    const old = await get(name, { VersionId: before.VersionId ?? '' });
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect([current.SecretString, current.VersionId]).toEqual([ROTATED, put.VersionId]);
    expect([previous.SecretString, previous.VersionId]).toEqual([CREDENTIALS, before.VersionId]);
    expect(old.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(sm.currentValue(name)).toBe(ROTATED);
  });

  it('treats a repeated ClientRequestToken with the same value as the same version', async () => {
    const name = freshSecret('rotate/idempotent');
    const token = 'a'.repeat(32);

    const first = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED, ClientRequestToken: token }),
    );
    const again = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED, ClientRequestToken: token }),
    );

    expect([first.VersionId, again.VersionId]).toEqual([token, token]);
    expect((await get(name, { VersionStage: 'AWSPREVIOUS' })).SecretString).toBe(CREDENTIALS);
  });

  it('refuses a repeated ClientRequestToken with another value with ResourceExistsException', async () => {
    const name = freshSecret('rotate/conflict');
    const token = 'b'.repeat(32);
    await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED, ClientRequestToken: token }),
    );

    const error = await rejection(
      client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: token }),
      ),
    );

    expect(error.name).toBe('ResourceExistsException');
    expect(sm.currentValue(name)).toBe(ROTATED);
  });

  it('refuses a value that is neither string nor binary, or both', async () => {
    const name = freshSecret('rotate/invalid');

    const neither = await rejection(client.send(new PutSecretValueCommand({ SecretId: name })));
    const both = await rejection(
      client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'x', SecretBinary: new Uint8Array([1]) }),
      ),
    );

    expect([neither.name, both.name]).toEqual(['InvalidRequestException', 'InvalidParameterException']);
    expect(sm.currentValue(name)).toBe(CREDENTIALS);
  });

  it('refuses to rotate an unknown secret with ResourceNotFoundException', async () => {
    const error = await rejection(
      client.send(new PutSecretValueCommand({ SecretId: 'nope', SecretString: 'x' })),
    );

    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('round-trips a SecretBinary value', async () => {
    const name = freshSecret('rotate/binary');

    await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretBinary: new Uint8Array([0, 1, 255]) }),
    );

    expect((await get(name)).SecretBinary).toEqual(new Uint8Array([0, 1, 255]));
  });
});

describe('LocalSecretsManager CreateSecret and unknown actions', () => {
  it('creates a secret readable by name, and refuses the same name again with ResourceExistsException', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'created/one', SecretString: 'v1' }));
    const duplicate = await rejection(
      client.send(new CreateSecretCommand({ Name: 'created/one', SecretString: 'v2' })),
    );

    expect((await get(created.ARN ?? '')).SecretString).toBe('v1');
    expect(duplicate.name).toBe('ResourceExistsException');
  });

  it('answers an unknown action with UnknownOperationException (400) and counts it', async () => {
    const response = await fetch(sm.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=x',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.DeleteSecret',
      },
      body: '{"SecretId":"restore-watch/credentials"}',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(sm.callCounts().get('DeleteSecret')).toBe(1);
    expect(sm.currentValue('restore-watch/credentials')).toBe(CREDENTIALS);
  });

  it('refuses a request without an Authorization header (403)', async () => {
    const response = await fetch(sm.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body: '{"SecretId":"restore-watch/credentials"}',
    });
    const body = await response.text();

    expect(response.status).toBe(403);
    expect(body).toContain('MissingAuthenticationTokenException');
    expect(body).not.toContain('test-private');
  });
});

describe('LocalSecretsManager fault injection', () => {
  it.each([
    ['internalServiceError', 'InternalServiceError', 'server', 500],
    ['throttling', 'ThrottlingException', 'client', 400],
    ['accessDenied', 'AccessDeniedException', 'client', 400],
    ['decryptionFailure', 'DecryptionFailure', 'client', 400],
  ] as const)(
    'SECRETS_MANAGER_FAULTS.%s reaches the SDK as %s (%s fault, HTTP %i)',
    async (fault, name, side, status) => {
      sm.failNext(SECRETS_MANAGER_FAULTS[fault]);

      const error = await rejection(get('restore-watch/credentials'));

      expect([error.name, error.$fault, error.$metadata?.httpStatusCode]).toEqual([name, side, status]);
      expect(sm.pendingFaults()).toBe(0);
    },
  );

  it('fails only the next N calls of the chosen action', async () => {
    const name = freshSecret('faults/scoped');
    sm.failNext(SECRETS_MANAGER_FAULTS.internalServiceError, { times: 2, action: 'PutSecretValue' });

    await get(name);
    const first = await rejection(
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED })),
    );
    const second = await rejection(
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED })),
    );
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: ROTATED }));

    expect([first.name, second.name]).toEqual(['InternalServiceError', 'InternalServiceError']);
    expect(sm.currentValue(name)).toBe(ROTATED);
    expect(sm.callCount('PutSecretValue')).toBe(3);
  });
});

describe('LocalSecretsManager with its real consumers', () => {
  it('is found through AWS_ENDPOINT_URL_SECRETS_MANAGER, as a child process given env() would find it', async () => {
    for (const [name, value] of Object.entries(sm.env())) vi.stubEnv(name, value);
    const fromEnv = new SecretsManagerClient({ maxAttempts: 1 });

    const answer = await fromEnv.send(new GetSecretValueCommand({ SecretId: 'restore-watch/credentials' }));
    fromEnv.destroy();
    vi.unstubAllEnvs();

    expect(answer.SecretString).toBe(CREDENTIALS);
  });

  it('serves @middy/secrets-manager: parsed JSON on the context, one read for two warm invocations', async () => {
    // Prepare: the handler's middleware settings (cache, no prefetch, context), against this peer
    const name = freshSecret('middy/credentials');
    const seen: unknown[] = [];
    // Typed as the middleware's options, as the handler does, so the handler takes a plain context.
    const options: Parameters<typeof secretsManager>[0] = {
      fetchData: { credentials: name },
      awsClientOptions: { ...sm.clientConfig(), maxAttempts: 1 },
      cacheKey: `local-secrets-manager-test:${name}`,
      cacheExpiry: 60_000,
      disablePrefetch: true,
      setToContext: true,
    };
    const handler = middy(async (_event: unknown, context: Context) => {
      seen.push((context as Context & { credentials?: unknown }).credentials);
    }).use(secretsManager(options));

    // Act
    await handler({}, {} as Context);
    await handler({}, {} as Context);

    // Assess
    expect(seen).toEqual([JSON.parse(CREDENTIALS), JSON.parse(CREDENTIALS)]);
    expect(sm.getSecretValueCount(name)).toBe(1);
  });
});
