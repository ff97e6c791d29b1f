/**
 * The handler's Powertools logger. A JSON replacer redacts secret fields and scrubs download links
 * and bearer tokens from every string it writes: a second line of defence behind the adapters, so a
 * careless `logger.info('...', { job })` still cannot leak a backup URL.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Logger as LoggerPort } from '../core/logger.ts';
import { REDACTED, SECRET_FIELDS, scrubText } from '../core/redact.ts';
import { SERVICE_NAME } from './metric-names.ts';

/** Replacer applied by Powertools before its own (errors, bigint, cycles). */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (SECRET_FIELDS.has(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return scrubText(value);
  return value;
}

export const logger = new Logger({ serviceName: SERVICE_NAME, jsonReplacerFn: redactingReplacer });

/**
 * The logger as the core and the adapters see it (the `Logger` port): Powertools takes extra
 * attributes as a rest parameter, the port passes one optional record.
 */
export const pollLogger: LoggerPort = {
  debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
  info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
  warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
  error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
};
