/**
 * The Public API error body. Every error the simulator answers on `/api/public/v1.0` has exactly this
 * shape so the client's error parsing is exercised against what the reference documents.
 */
import { STATUS_CODES } from 'node:http';

export interface ApiErrorBody {
  detail: string;
  error: number;
  errorCode: string;
  parameters: unknown[];
  reason: string;
}

export function apiErrorBody(status: number, errorCode: string, detail: string): ApiErrorBody {
  return { detail, error: status, errorCode, parameters: [], reason: STATUS_CODES[status] ?? 'Error' };
}

/** Error codes the reference documents per status, used when a fault names only a status. */
export function defaultErrorCode(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_QUERY_PARAMETER';
    case 401:
      return 'USER_UNAUTHORIZED';
    case 402:
      return 'ACCOUNT_SUSPENDED';
    case 403:
      return 'FEATURE_UNSUPPORTED';
    case 404:
      return 'RESOURCE_NOT_FOUND';
    case 429:
      return 'RATE_LIMITED';
    default:
      // 500, 503 and anything undocumented: the reference lists only UNEXPECTED_ERROR for server faults.
      return 'UNEXPECTED_ERROR';
  }
}
