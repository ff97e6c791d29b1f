import { describe, expect, it } from 'vitest';
import { StateStoreError, toStateStoreError } from '../../../functions/adapters/dynamo/state-store-error.ts';

/** An error shaped like the ones the AWS SDK throws. */
function awsError(name: string, message = 'service message'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('toStateStoreError', () => {
  it('points at `restore-watch init` and the stack for a missing table', () => {
    // Act
    const error = toStateStoreError(awsError('ResourceNotFoundException'), 'saveJobStates', 'watch', {
      region: 'eu-west-1',
    });

    // Assess
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error.message).toContain(
      'DynamoDB table "watch" was not found in region eu-west-1 (saveJobStates)',
    );
    expect(error.message).toContain('restore-watch init');
    expect(error.message).toContain('stack');
  });

  it('points at credentials and permissions when access is denied', () => {
    // Act
    const error = toStateStoreError(awsError('AccessDeniedException'), 'recordEvents', 'watch');

    // Assess
    expect(error.errorCode).toBe('AccessDeniedException');
    expect(error.message).toContain('check the AWS credentials');
    expect(error.message).toContain('dynamodb:BatchWriteItem');
  });

  it('explains throttling that outlasted the SDK retries', () => {
    // Act
    const error = toStateStoreError(
      awsError('ProvisionedThroughputExceededException'),
      'saveJobStates',
      'watch',
    );

    // Assess
    expect(error.message).toContain('throttled saveJobStates');
    expect(error.message).toContain('on-demand');
  });

  it('explains a network failure by its Node error code', () => {
    // Prepare
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

    // Act
    const error = toStateStoreError(cause, 'listTargetStates', 'watch', { endpoint: 'http://127.0.0.1:9' });

    // Assess
    expect(error.errorCode).toBe('ECONNREFUSED');
    expect(error.message).toContain('Could not reach DynamoDB at http://127.0.0.1:9');
    expect(error.cause).toBe(cause);
  });

  it('keeps an existing StateStoreError as it is', () => {
    // Prepare
    const original = new StateStoreError('already explained', { operation: 'x', tableName: 'watch' });

    // Act
    const error = toStateStoreError(original, 'y', 'other');

    // Assess
    expect(error).toBe(original);
  });
});
