/**
 * One Lambda execution environment for the artifact test, run as a child process with the Lambda
 * environment variables already set (the test builds them). It does what the `nodejs24.x` runtime
 * does for an ES-module handler, and nothing more:
 *
 * - init: `_HANDLER` `index.handler` → `import(LAMBDA_TASK_ROOT/index.mjs)`, then the `handler`
 *   export; an exception here is an init error, reported as such;
 * - each invocation (a message from the parent): a fresh request id and X-Ray trace id in
 *   `_X_AMZN_TRACE_ID`, a context whose `getRemainingTimeInMillis` counts down to a real deadline,
 *   the handler awaited, its result or error sent back.
 *
 * The process is the warm container: module state (SDK clients, the credentials cache) survives
 * between invocations exactly as in Lambda.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface InvokeMessage {
  kind: 'invoke';
  id: number;
  event: unknown;
  /** The function's timeout: the deadline is now + this. */
  timeoutMs: number;
}

export type EmulatorReply =
  | { kind: 'ready' }
  | { kind: 'init-error'; error: { name: string; message: string } }
  | { kind: 'result'; id: number; requestId: string; result: unknown }
  | { kind: 'error'; id: number; requestId: string; error: { name: string; message: string } };

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

const send = (reply: EmulatorReply) => process.send?.(reply);
const described = (error: unknown) => ({
  name: error instanceof Error ? error.name : 'Error',
  message: error instanceof Error ? error.message : String(error),
});

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
}

function lambdaContext(requestId: string, deadline: number): Record<string, unknown> {
  const env = process.env;
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION}:123456789012:function:${name}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function init(): Promise<Handler | undefined> {
  const [file, exportName] = (process.env._HANDLER ?? '').split('.');
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  try {
    const module = (await import(pathToFileURL(join(root, `${file}.mjs`)).href)) as Record<string, unknown>;
    const handler = module[exportName ?? ''];
    if (typeof handler !== 'function') throw new TypeError(`${file}.${exportName} is not a function`);
    return handler as Handler;
  } catch (error) {
    send({ kind: 'init-error', error: described(error) });
    return undefined;
  }
}

const handler = await init();
if (handler) {
  // One invocation at a time, as in Lambda: the next message waits for the previous answer.
  let queue = Promise.resolve();
  process.on('message', (message: InvokeMessage) => {
    queue = queue.then(async () => {
      const requestId = randomUUID();
      process.env._X_AMZN_TRACE_ID = traceId();
      const context = lambdaContext(requestId, Date.now() + message.timeoutMs);
      try {
        const result = await handler(message.event, context);
        send({ kind: 'result', id: message.id, requestId, result });
      } catch (error) {
        send({ kind: 'error', id: message.id, requestId, error: described(error) });
      }
    });
  });
  send({ kind: 'ready' });
}
