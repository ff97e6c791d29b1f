/**
 * One HTTP exchange over Node's global `fetch` (undici: keep-alive connection pool by default), with a
 * per-request timeout combined with the caller's signal, redirects never followed (credentials must
 * not travel to wherever a `Location` points), and failures sorted into aborts vs network errors.
 * The whole body is read under the same timeout, so a body cut off mid-read is a network error too.
 */
import { CloudManagerAbortedError, CloudManagerNetworkError } from './errors.ts';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For error messages, e.g. `GET /groups/…/restoreJobs page 2`. */
  target: string;
}

export interface HttpExchange {
  status: number;
  headers: Headers;
  text: string;
  /** Wall time from sending to the last body byte. */
  ms: number;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed while sending',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the server closed the connection',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the response headers timed out',
  UND_ERR_BODY_TIMEOUT: 'the response body timed out',
  UND_ERR_CLOSED: 'the connection was closed',
};

/** First error `code` along the cause chain (undici nests the socket error as `cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '' && code !== 'ABORT_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export async function sendHttp(request: HttpRequest): Promise<HttpExchange> {
  const caller = request.signal;
  if (caller?.aborted) throw new CloudManagerAbortedError(request.target, caller.reason);
  // One controller per exchange, its timer cleared and its listener on the caller's signal removed
  // as soon as the exchange is over. `AbortSignal.timeout` + `AbortSignal.any` kept every request's
  // signal, and through fetch's abort listener the response's buffers, alive until the timeout
  // fired: hundreds of MB outside the V8 heap when a poll sends ~1,000 requests a second.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${request.timeoutMs} ms`, 'TimeoutError'));
  }, request.timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  const signal = controller.signal;
  const started = performance.now();
  let phase: 'connect' | 'body' = 'connect';
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    });
    phase = 'body';
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, ms: performance.now() - started };
  } catch (error) {
    if (caller?.aborted) throw new CloudManagerAbortedError(request.target, caller.reason);
    if (timedOut) {
      throw new CloudManagerNetworkError(
        `Cloud Manager did not answer ${request.target} within ${request.timeoutMs} ms${phase === 'body' ? ' (the response body stalled)' : ''}: usually transient; raise cloudManager.requestTimeoutMs if it keeps happening`,
        { target: request.target, cause: error },
      );
    }
    const code = networkErrorCode(error);
    const what =
      (code && NETWORK_CODES[code]) ?? (phase === 'body' ? 'the response was cut off' : 'the request failed');
    throw new CloudManagerNetworkError(
      `Network error calling Cloud Manager for ${request.target}: ${what}${code ? ` (${code})` : ''}${phase === 'body' ? ' while reading the response body' : ''}; check baseUrl, DNS and egress (NAT, proxy, firewall) if it persists`,
      { target: request.target, cause: error },
    );
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onCallerAbort);
  }
}
