/** The error an SDK call rejects with, for assertions on its `name`, `$fault` and HTTP status. */
export interface SdkError extends Error {
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Awaits `promise` and returns what it rejected with; throws (failing the test) when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to be rejected');
}
