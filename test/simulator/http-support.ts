/**
 * What the simulator tests need to talk to it like a client would, written independently of the real
 * client: a Digest answer computed by hand from RFC 7616, a manual clock, and JSON fetching.
 */
import { createHash } from 'node:crypto';

export const PROJECT = '5f1a2b3c4d5e6f7081920a1b';
export const OTHER_PROJECT = '5f1a2b3c4d5e6f7081920a1c';
export const API_KEY = { publicKey: 'TESTPUBLIC', privateKey: 'test-private-0c2f6a' };

export class ManualClock {
  ms: number;
  constructor(iso = '2026-11-28T08:00:00.000Z') {
    this.ms = Date.parse(iso);
  }
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface JsonAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/** Fetches and parses JSON; `body` is undefined-as-any when the answer is not JSON. */
export async function getJson<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<JsonAnswer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: body as T };
}

/** The parameters of a `WWW-Authenticate: Digest ...` challenge. */
export function parseChallenge(header: string | null): Record<string, string> {
  if (!header?.startsWith('Digest ')) throw new Error(`not a Digest challenge: ${header}`);
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]*))/gi)) {
    const [, key, quoted, token] = match;
    if (key) params[key] = quoted ?? token ?? '';
  }
  return params;
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
    .update(text)
    .digest('hex');
}

/** An `Authorization: Digest ...` value computed by hand (RFC 7616 §3.4.1; RFC 2069 when qop is absent). */
export function digestAnswer(input: {
  nonce: string;
  method?: string;
  uri: string;
  username?: string;
  password?: string;
  realm?: string;
  algorithm?: 'MD5' | 'SHA-256';
  qop?: 'auth' | 'none';
  nc?: number;
  cnonce?: string;
  /** Leave the algorithm parameter out (RFC 2617 defaults it to MD5). */
  omitAlgorithm?: boolean;
}): string {
  const username = input.username ?? API_KEY.publicKey;
  const password = input.password ?? API_KEY.privateKey;
  const realm = input.realm ?? 'MMS Public API';
  const algorithm = input.algorithm ?? 'MD5';
  const method = input.method ?? 'GET';
  const ha1 = hash(algorithm, `${username}:${realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${input.uri}`);
  const parts = [
    `username="${username}"`,
    `realm="${realm}"`,
    `nonce="${input.nonce}"`,
    `uri="${input.uri}"`,
  ];
  if (!input.omitAlgorithm) parts.push(`algorithm=${algorithm}`);
  if ((input.qop ?? 'auth') === 'auth') {
    const nc = (input.nc ?? 1).toString(16).padStart(8, '0');
    const cnonce = input.cnonce ?? 'f2a7c1d0';
    parts.push(`response="${hash(algorithm, `${ha1}:${input.nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`);
    parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  } else {
    parts.push(`response="${hash(algorithm, `${ha1}:${input.nonce}:${ha2}`)}"`);
  }
  return `Digest ${parts.join(', ')}`;
}

/** Asks without credentials and returns the challenge's nonce. */
export async function fetchNonce(url: string): Promise<string> {
  const response = await fetch(url);
  await response.arrayBuffer();
  const nonce = parseChallenge(response.headers.get('www-authenticate')).nonce;
  if (!nonce) throw new Error('challenge without nonce');
  return nonce;
}

/** The request target (path + query) of an absolute URL: what a Digest `uri` must be. */
export function requestTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}
