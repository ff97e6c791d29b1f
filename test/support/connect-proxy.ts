/**
 * A real HTTP proxy on loopback that counts the tunnels it opened (CONNECT, what `https:` requests
 * use) and the plain requests it forwarded (absolute-form, what `http:` requests use through
 * `HTTP_PROXY`), so a test can tell whether a request went through it (and to where). It only
 * reaches loopback addresses: anything else is refused with 403, so a test can never send traffic
 * off this machine through it.
 *
 * ```ts
 * const proxy = await startConnectProxy();
 * // HTTPS_PROXY=proxy.url ... then:
 * expect(proxy.tunnels).toEqual(['127.0.0.1:43123']);
 * await proxy.stop();
 * ```
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { isLoopbackHost } from '../../functions/core/config-fields.ts';

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every tunnel opened, as the `host:port` the client asked for, in order. */
  readonly tunnels: string[];
  /** Every plain request forwarded, as `METHOD host:port`, in order. */
  readonly forwarded: string[];
  /** Answer every CONNECT with this status instead of tunnelling (e.g. 403, 407). */
  refuseWith?: number;
  stop(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let target: URL | undefined;
    try {
      target = new URL(req.url ?? '');
    } catch {
      target = undefined;
    }
    const host = target?.hostname.replace(/^\[|\]$/g, '');
    if (
      proxy.refuseWith !== undefined ||
      !target ||
      target.protocol !== 'http:' ||
      !host ||
      !isLoopbackHost(host)
    ) {
      res.writeHead(proxy.refuseWith ?? 403).end();
      return;
    }
    proxy.forwarded.push(`${req.method} ${target.host}`);
    const upstream = httpRequest(
      {
        host,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const proxy: ConnectProxy = {
    url: '',
    tunnels: [],
    forwarded: [],
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    const host = match?.[1];
    if (proxy.refuseWith !== undefined || !match || !host || !isLoopbackHost(host)) {
      client.end(`HTTP/1.1 ${proxy.refuseWith ?? 403} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    proxy.tunnels.push(target);
    const upstream = connect(Number(match[2]), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
