/**
 * The one logging port. The core, the Cloud Manager client, the SNS notifier and the stores log
 * through it; the Lambda passes Powertools' Logger (via `observability/logger.ts`), the CLI its
 * console logger, tests a recorder. Structured: a message and one optional record of fields.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Drops everything: the default of components that log only when given a logger. */
export const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };
