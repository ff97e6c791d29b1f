/**
 * The environment a handler sees in Lambda, stubbed on `process.env` for one test (undone by
 * `vi.unstubAllEnvs()`): a region, credentials the SDK accepts, DynamoDB at the test's dynalite, and
 * the variables the stack sets for that function.
 */
import { vi } from 'vitest';

export function stubLambdaEnvironment(
  dynamoEndpoint: string,
  variables: Readonly<Record<string, string>>,
): void {
  const values: Record<string, string> = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    ...variables,
  };
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}
