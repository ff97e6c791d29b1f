/**
 * The handler's Powertools metrics (CloudWatch Embedded Metric Format on stdout: no API calls, no
 * IAM). Namespace and service come from `metric-names.ts`, which the alarms import too.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
