/**
 * One POST to the Events API over `node:http` / `node:https`, on the agent of an `OutboundConnection`
 * (its proxy, when it has one: CONNECT, TLS to PagerDuty inside the tunnel), under one timer that
 * covers connecting, sending and reading the whole answer. Redirects are never followed (the body
 * carries the routing key). A failure rejects with Node's own error, or `EventsApiTimeoutError`; the
 * notifier says what it means.
 *
 * Why not `fetch`: Node's `fetch` takes its proxy from a process-wide dispatcher; an agent per
 * connection keeps `alerts.pagerduty.proxyUrl` to PagerDuty calls, and Node's own `proxyEnv` gives the
 * CLI exactly Node's `HTTPS_PROXY` / `NO_PROXY` rules, as for Cloud Manager.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OutboundConnection } from '../outbound-connection.ts';

export interface EventsApiAnswer {
  status: number;
  text: string;
}

/** No complete answer within the call's time. */
export class EventsApiTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'EventsApiTimeoutError';
  }
}

export function postEvent(
  url: URL,
  body: string,
  options: { connection: OutboundConnection; timeoutMs: number },
): Promise<EventsApiAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<EventsApiAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: unknown) => settle(() => reject(error));
    const request = send(
      url,
      {
        method: 'POST',
        agent: options.connection.agentFor(url),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete)
            fail(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
        });
        response.on('end', () =>
          settle(() =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          ),
        );
      },
    );
    const timer = setTimeout(() => {
      const error = new EventsApiTimeoutError(options.timeoutMs);
      fail(error);
      request.destroy(error);
    }, options.timeoutMs);
    request.on('error', fail);
    request.end(body);
  });
}
