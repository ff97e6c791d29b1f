/**
 * HTTP Digest authentication for Cloud Manager API keys (RFC 7616, RFC 2617, and the legacy RFC 2069
 * form without qop). The point of the session cache: a naive client pays a 401 challenge on every call,
 * doubling its requests under a 100-requests-per-minute project limit. After one challenge per origin we
 * answer requests straight away with the cached nonce and an incrementing nonce count (`nc`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DigestChallenge } from './www-authenticate.ts';

/** Algorithm name (as in the challenge, upper-cased) to node:crypto hash name. */
const HASHES: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'MD5-SESS': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-SESS': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-SESS': 'sha512-256',
};

export function isSupportedDigestAlgorithm(algorithm: string): boolean {
  return Object.hasOwn(HASHES, algorithm.toUpperCase());
}

export interface DigestInput {
  algorithm: string;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  /** The request-target exactly as sent: path plus query. */
  uri: string;
  /** Omitted for a legacy (RFC 2069) challenge without qop. */
  qop?: 'auth' | 'auth-int';
  /** 8 lower-case hex digits, e.g. `00000001`; needed with qop. */
  nc?: string;
  /** Needed with qop and with the -sess algorithms. */
  cnonce?: string;
  /** For `auth-int` only; the monitor sends bodiless GETs. */
  entityBody?: string;
}

function hasher(algorithm: string): (text: string) => string {
  const name = HASHES[algorithm.toUpperCase()];
  if (!name) throw new Error(`unsupported digest algorithm ${algorithm}`);
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

/** The `response` value of RFC 7616 §3.4.1 (and RFC 2069 when `qop` is omitted). */
export function computeDigestResponse(input: DigestInput): string {
  const h = hasher(input.algorithm);
  let ha1 = h(`${input.username}:${input.realm}:${input.password}`);
  if (input.algorithm.toUpperCase().endsWith('-SESS')) ha1 = h(`${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 =
    input.qop === 'auth-int'
      ? h(`${input.method}:${input.uri}:${h(input.entityBody ?? '')}`)
      : h(`${input.method}:${input.uri}`);
  if (!input.qop) return h(`${ha1}:${input.nonce}:${ha2}`);
  return h(`${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}

/** `auth` when offered, else `auth-int` (cheap for bodiless GETs), else none (RFC 2069). */
export function chooseQop(offered: readonly string[]): 'auth' | 'auth-int' | undefined | null {
  if (offered.length === 0) return undefined;
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return null; // offered only qop values we do not know
}

const quote = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;

export interface AnswerInput {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Nonce count for this request, 1-based. */
  nc: number;
  cnonce: string;
}

/** The full `Authorization` header value answering `challenge`. */
export function buildDigestAuthorization(input: AnswerInput): string {
  const { challenge } = input;
  const qop = chooseQop(challenge.qop);
  if (qop === null) throw new Error(`unsupported digest qop ${challenge.qop.join(',')}`);
  const nc = input.nc.toString(16).padStart(8, '0');
  const username = challenge.userhash
    ? hasher(challenge.algorithm)(`${input.username}:${challenge.realm}`)
    : input.username;
  const response = computeDigestResponse({
    algorithm: challenge.algorithm,
    username: input.username,
    password: input.password,
    realm: challenge.realm,
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    ...(qop ? { qop, nc } : {}),
    cnonce: input.cnonce,
  });
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(input.cnonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

interface CachedChallenge {
  challenge: DigestChallenge;
  /** Last nonce count used with this nonce. */
  nc: number;
  /** -sess algorithms bind the session key to the first cnonce (RFC 7616 §3.4.2): keep it. */
  sessionCnonce: string;
}

export interface DigestAuthenticatorOptions {
  username: string;
  password: string;
  /** Injectable for tests; 16 random bytes as hex by default. */
  cnonce?: () => string;
}

/**
 * Digest state of one client: the last challenge per origin (one client talks to one realm per
 * origin) and the nonce count. `authorize` increments `nc` synchronously, so concurrent requests on
 * the single JS thread can never share a count.
 */
export class DigestAuthenticator {
  readonly #username: string;
  readonly #password: string;
  readonly #cnonce: () => string;
  readonly #cache = new Map<string, CachedChallenge>();
  readonly #pending = new Map<string, Promise<void>>();

  constructor(options: DigestAuthenticatorOptions) {
    this.#username = options.username;
    this.#password = options.password;
    this.#cnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  /** Header answering the cached challenge of `origin`, or `undefined` before the first challenge. */
  authorize(origin: string, method: string, uri: string): string | undefined {
    const cached = this.#cache.get(origin);
    if (!cached) return undefined;
    cached.nc += 1;
    const sess = cached.challenge.algorithm.endsWith('-SESS');
    return buildDigestAuthorization({
      challenge: cached.challenge,
      username: this.#username,
      password: this.#password,
      method,
      uri,
      nc: cached.nc,
      cnonce: sess ? cached.sessionCnonce : this.#cnonce(),
    });
  }

  /** Adopts a new challenge (first one, or a stale/rotated nonce); the nonce count restarts. */
  remember(origin: string, challenge: DigestChallenge): void {
    const cached = this.#cache.get(origin);
    // Concurrent requests often bring back the same new nonce: keep counting, or two of them would
    // both send nc=00000001 and the second would look like a replay.
    if (cached && cached.challenge.nonce === challenge.nonce && cached.challenge.realm === challenge.realm) {
      cached.challenge = challenge;
      return;
    }
    this.#cache.set(origin, { challenge, nc: 0, sessionCnonce: this.#cnonce() });
  }

  /**
   * Coordinates the first challenge: when nothing is cached and no one is fetching a challenge, returns
   * a `release` function and the caller sends the unauthenticated request; everyone else waits for it
   * and then answers the cached nonce. Without this, N concurrent first calls cost 2N requests.
   */
  async claimChallenge(
    origin: string,
    wait: (pending: Promise<void>) => Promise<void>,
  ): Promise<(() => void) | undefined> {
    for (;;) {
      if (this.#cache.has(origin)) return undefined;
      const pending = this.#pending.get(origin);
      if (!pending) {
        let resolve: () => void = () => {};
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        this.#pending.set(origin, promise);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.#pending.delete(origin);
          resolve();
        };
      }
      // If the first caller fails before storing a challenge, the next turn lets a waiter try instead.
      await wait(pending);
    }
  }
}
