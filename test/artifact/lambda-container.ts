/**
 * A Lambda execution environment for the artifact test: a separate Node process (this test run's
 * Node, 24) running `lambda-emulator.ts` with exactly the environment it is given (nothing inherited),
 * invoked over IPC. Everything the function writes (Powertools logs, EMF metrics) is kept, line by
 * line, as CloudWatch Logs would receive it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { EmulatorReply, InvokeMessage } from './lambda-emulator.ts';

const EMULATOR = join(import.meta.dirname, 'lambda-emulator.ts');

export type InvocationOutcome =
  | { kind: 'result'; requestId: string; result: unknown }
  | { kind: 'error'; requestId: string; error: { name: string; message: string } };

export class LambdaContainer {
  /** Every line the process wrote to stdout or stderr, in order. */
  readonly output: string[] = [];
  readonly #child: ChildProcess;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, (outcome: InvocationOutcome) => void>();
  #nextId = 1;

  private constructor(child: ChildProcess, timeoutMs: number) {
    this.#child = child;
    this.#timeoutMs = timeoutMs;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        this.output.push(...lines.filter((line) => line !== ''));
      });
    }
    child.on('message', (reply: EmulatorReply) => {
      if (reply.kind !== 'result' && reply.kind !== 'error') return;
      const settle = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      settle?.(
        reply.kind === 'result'
          ? { kind: 'result', requestId: reply.requestId, result: reply.result }
          : { kind: 'error', requestId: reply.requestId, error: reply.error },
      );
    });
  }

  /**
   * A cold start: the process imports the handler module. Rejects with the init error (as Lambda
   * reports `Runtime.ImportModuleError` / an init failure) when the module throws.
   */
  static start(options: {
    env: Record<string, string>;
    cwd: string;
    timeoutMs: number;
  }): Promise<LambdaContainer> {
    const child = fork(EMULATOR, [], {
      cwd: options.cwd,
      env: options.env,
      execPath: process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const container = new LambdaContainer(child, options.timeoutMs);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the Lambda process exited during init (${code}):\n${container.output.join('\n')}`));
      child.once('exit', onExit);
      child.on('message', (reply: EmulatorReply) => {
        if (reply.kind === 'ready') {
          child.off('exit', onExit);
          resolve(container);
        } else if (reply.kind === 'init-error') {
          child.off('exit', onExit);
          child.kill();
          reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
        }
      });
    });
  }

  /** One invocation with a deadline `timeoutMs` from now, as Lambda gives it. */
  invoke(event: unknown): Promise<InvocationOutcome> {
    const id = this.#nextId++;
    const message: InvokeMessage = { kind: 'invoke', id, event, timeoutMs: this.#timeoutMs };
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send(message);
    });
  }

  /** The JSON lines written so far (log lines and EMF documents). */
  jsonLines(): Array<Record<string, unknown>> {
    return this.output.flatMap((line) => {
      try {
        const value = JSON.parse(line) as unknown;
        return value && typeof value === 'object' ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill();
    await exited;
  }
}
