/**
 * The handler's Powertools tracer. It earns its keep here because a slow poll is slow somewhere
 * specific: Cloud Manager (captured through Node's fetch instrumentation), DynamoDB, SNS or Secrets
 * Manager (captured SDK clients). Outside Lambda, or with `POWERTOOLS_TRACE_ENABLED=false`, it is off.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metric-names.ts';

export const tracer = new Tracer({ serviceName: SERVICE_NAME });
