/**
 * Captures what a handler writes to stdout and stderr (Powertools writes its log lines and EMF
 * metrics there) instead of letting it into the test output. Undone by `vi.restoreAllMocks()`.
 */
import { vi } from 'vitest';

export function captureProcessOutput(): string[] {
  const output: string[] = [];
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return output;
}
