import type { Logger } from '../core/logger.ts';
import { redactSecrets, scrubText } from '../core/redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * The CLI's logger: one line per entry on stderr (stdout stays for results and alerts), with the
 * structured fields as JSON. Fields pass through the same redaction as everything else.
 */
export function createConsoleLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log = (at: Exclude<LogLevel, 'silent'>) => (message: string, extra?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const fields = extra && Object.keys(extra).length > 0 ? ` ${JSON.stringify(redactSecrets(extra))}` : '';
    write(`${at.toUpperCase().padEnd(5)} ${scrubText(message)}${scrubText(fields)}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
