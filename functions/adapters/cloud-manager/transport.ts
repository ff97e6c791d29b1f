/**
 * One HTTP exchange over `node:http` / `node:https`, through the agents of a `CloudManagerConnection`
 * (keep-alive, the trusted CAs, the proxy), with a per-request timeout combined with the caller's
 * signal, redirects never followed (credentials must not travel to wherever a `Location` points),
 * and failures sorted into aborts, TLS failures, proxy refusals and network errors. The whole body is
 * read under the same timeout, so a body cut off mid-read is a network error too.
 *
 * Why not `fetch`: Node's `fetch` takes its trust store and proxy from a process-wide dispatcher; an
 * agent per connection keeps `cloudManager.caFile` and `cloudManager.proxyUrl` to Cloud Manager calls,
 * and Node's own `proxyEnv` gives the CLI exactly Node's `HTTPS_PROXY` / `NO_PROXY` rules.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { describeNetworkCode, networkErrorCode } from '../outbound-connection.ts';
import { type CloudManagerConnection, DIRECT_CONNECTION, summariseCertificate } from './connection.ts';
import {
  CloudManagerAbortedError,
  CloudManagerNetworkError,
  CloudManagerProxyError,
  CloudManagerTlsError,
} from './errors.ts';
import { tlsFailureKind, tlsFailureMessage } from './tls-failure.ts';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For error messages, e.g. `GET /groups/…/restoreJobs page 2`. */
  target: string;
  /** Trust and proxy. @default DIRECT_CONNECTION (default roots, no proxy) */
  connection?: CloudManagerConnection;
}

export interface HttpExchange {
  status: number;
  headers: Headers;
  text: string;
  /** Wall time from sending to the last body byte. */
  ms: number;
}

/** Bodies arrive as sent; `accept-encoding` asks for compression, so decode what came back. */
function decodeBody(body: Buffer, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body).toString('utf8');
    case 'br':
      return brotliDecompressSync(body).toString('utf8');
    case 'deflate':
      return inflateSync(body).toString('utf8');
    default:
      return body.toString('utf8');
  }
}

function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // A header value Headers refuses (not ISO-8859-1): nothing this client reads.
    }
  }
  return headers;
}

function exchange(request: HttpRequest, signal: AbortSignal, onBody: () => void): Promise<HttpExchange> {
  const connection = request.connection ?? DIRECT_CONNECTION;
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const started = performance.now();
  return new Promise<HttpExchange>((resolve, reject) => {
    const req = send(
      request.url,
      {
        method: request.method,
        headers: {
          'accept-encoding': 'gzip, deflate, br',
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(request.body) }),
        },
        agent: connection.agentFor(request.url),
        signal,
      },
      (response) => {
        onBody();
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
        response.on('end', () => {
          if (!response.complete) {
            reject(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
            return;
          }
          try {
            resolve({
              status: response.statusCode ?? 0,
              headers: headersOf(response),
              text: decodeBody(Buffer.concat(chunks), response.headers['content-encoding']),
              ms: performance.now() - started,
            });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

export async function sendHttp(request: HttpRequest): Promise<HttpExchange> {
  const caller = request.signal;
  if (caller?.aborted) throw new CloudManagerAbortedError(request.target, caller.reason);
  // One controller per exchange, its timer cleared and its listener on the caller's signal removed
  // as soon as the exchange is over: `AbortSignal.timeout` + `AbortSignal.any` keep every request's
  // signal (and what listens to it) alive until the timeout fires, which at ~1,000 requests a
  // second is thousands of live signals (bench/README.md "Concurrency").
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${request.timeoutMs} ms`, 'TimeoutError'));
  }, request.timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  // Set from the response callback: a closure assignment TypeScript does not follow.
  const progress: { phase: 'connect' | 'body' } = { phase: 'connect' };
  try {
    return await exchange(request, controller.signal, () => {
      progress.phase = 'body';
    });
  } catch (error) {
    if (caller?.aborted) throw new CloudManagerAbortedError(request.target, caller.reason);
    if (timedOut) {
      throw new CloudManagerNetworkError(
        `Cloud Manager did not answer ${request.target} within ${request.timeoutMs} ms${progress.phase === 'body' ? ' (the response body stalled)' : ''}: usually transient; raise cloudManager.requestTimeoutMs if it keeps happening`,
        { target: request.target, cause: error },
      );
    }
    throw await classifyFailure(request, error, progress.phase);
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onCallerAbort);
  }
}

async function classifyFailure(
  request: HttpRequest,
  error: unknown,
  phase: 'connect' | 'body',
): Promise<Error> {
  const connection = request.connection ?? DIRECT_CONNECTION;
  const code = networkErrorCode(error);
  const host = request.url.hostname.replace(/^\[|\]$/g, '');
  if (phase === 'connect' && code && tlsFailureKind(code)) {
    // A name mismatch carries the certificate; for the others, read it over a second handshake.
    const presented = (error as { cert?: PeerCertificate }).cert;
    const certificate = presented
      ? summariseCertificate(presented)
      : await connection.inspectCertificate(request.url).catch(() => undefined);
    const message = tlsFailureMessage({
      code,
      host,
      port: Number(request.url.port) || 443,
      target: request.target,
      ...(certificate ? { certificate } : {}),
      ...(connection.caSource ? { caSource: connection.caSource } : {}),
      now: new Date(),
    });
    return new CloudManagerTlsError(message, { target: request.target, host, errorCode: code, cause: error });
  }
  const proxy = connection.describeProxy();
  if (code === 'ERR_PROXY_TUNNEL') {
    const status = (error as { statusCode?: unknown }).statusCode;
    const refused = typeof status === 'number' && status < 500;
    return new CloudManagerProxyError(
      `The proxy ${proxy ?? ''} did not open a tunnel to ${request.url.host} for ${request.target}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${status === 407 ? 'it wants proxy authentication, which this monitor does not send from the configuration' : refused ? `allow CONNECT to ${request.url.host} on the proxy` : 'the proxy could not reach the API; usually transient'}`,
      {
        target: request.target,
        proxy: proxy ?? 'unknown',
        errorCode: code,
        retryable: !refused,
        ...(typeof status === 'number' ? { status } : {}),
        cause: error,
      },
    );
  }
  const what =
    describeNetworkCode(code) ?? (phase === 'body' ? 'the response was cut off' : 'the request failed');
  const where = (error as { address?: unknown; port?: unknown }).address;
  const at = typeof where === 'string' ? ` at ${where}:${String((error as { port?: unknown }).port)}` : '';
  return new CloudManagerNetworkError(
    `Network error calling Cloud Manager for ${request.target}: ${what}${code ? ` (${code}${at})` : ''}${phase === 'body' ? ' while reading the response body' : ''}; check baseUrl, DNS and egress (${proxy ? `the proxy ${proxy}, ` : ''}NAT, firewall) if it persists`,
    { target: request.target, cause: error },
  );
}
