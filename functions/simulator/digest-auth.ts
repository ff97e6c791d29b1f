/**
 * Server side of HTTP Digest authentication as Cloud Manager offers it for API keys (RFC 7616, with
 * RFC 2617/2069 compatibility when `qop` is not offered). Pure apart from the injected clock and the
 * random nonces: it decides, the simulator turns verdicts into HTTP answers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const DIGEST_REALM = 'MMS Public API';

export type DigestAlgorithm = 'MD5' | 'SHA-256';
export type DigestQop = 'auth' | 'none';

export interface DigestSettings {
  algorithm: DigestAlgorithm;
  qop: DigestQop;
  /** How long a nonce may be used; after that the server answers `stale=true`. */
  nonceTtlMs: number;
}

export type DigestVerdict =
  | { ok: true; username: string }
  /** The header cannot be a Digest answer at all (RFC 7616 §3.4.6: 400 Bad Request). */
  | { ok: false; failure: 'malformed'; detail: string }
  /** Wrong user, wrong password, wrong realm or algorithm, qop not as offered: re-prompt (`stale=false`). */
  | { ok: false; failure: 'unauthorized'; detail: string }
  /** Correct credentials but the nonce is expired, unknown or its count was replayed: retry (`stale=true`). */
  | { ok: false; failure: 'stale'; detail: string };

interface NonceState {
  issuedAtMs: number;
  /** Highest `nc` accepted so far; the next one must be greater. */
  lastNonceCount: number;
}

/** Splits `key=value, key="quoted, value"` into a map (keys lower-cased, quotes and escapes removed). */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  let match = pattern.exec(text);
  while (match) {
    const [, key, quoted, token] = match;
    if (key)
      params.set(key.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? ''));
    if (pattern.lastIndex >= text.length) break;
    match = pattern.exec(text);
  }
  return params;
}

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
    .update(text, 'utf8')
    .digest('hex');
}

export class DigestAuthority {
  readonly #settings: DigestSettings;
  readonly #passwords: ReadonlyMap<string, string>;
  readonly #nowMs: () => number;
  readonly #nonces = new Map<string, NonceState>();

  constructor(settings: DigestSettings, passwords: ReadonlyMap<string, string>, nowMs: () => number) {
    this.#settings = settings;
    this.#passwords = passwords;
    this.#nowMs = nowMs;
  }

  /** A `WWW-Authenticate` value with a fresh nonce, formatted exactly as Cloud Manager sends it. */
  challenge(stale: boolean): string {
    this.#forgetExpiredNonces();
    const nonce = randomBytes(24).toString('base64');
    this.#nonces.set(nonce, { issuedAtMs: this.#nowMs(), lastNonceCount: 0 });
    const qop = this.#settings.qop === 'auth' ? ', qop="auth"' : '';
    return `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", algorithm=${this.#settings.algorithm}${qop}, stale=${stale}`;
  }

  /** Every nonce issued so far becomes stale: the next use of any of them gets `stale=true`. */
  expireAll(): void {
    this.#nonces.clear();
  }

  /** `credentials` is the Authorization header without the `Digest ` scheme; `requestUri` is the raw request target. */
  verify(credentials: string, method: string, requestUri: string): DigestVerdict {
    const params = parseAuthParams(credentials);
    const username = params.get('username');
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    if (!username || !nonce || uri === undefined || !response) {
      return {
        ok: false,
        failure: 'malformed',
        detail: 'Digest credentials need username, nonce, uri and response.',
      };
    }
    // RFC 7616 §3.4.6: the digest must be for the resource actually requested.
    if (uri !== requestUri) {
      return { ok: false, failure: 'malformed', detail: 'The Digest uri does not match the request target.' };
    }
    const password = this.#passwords.get(username);
    if (password === undefined) {
      return { ok: false, failure: 'unauthorized', detail: 'The API key is unknown or the digest is wrong.' };
    }
    if (params.get('realm') !== DIGEST_REALM) {
      return { ok: false, failure: 'unauthorized', detail: `The Digest realm must be "${DIGEST_REALM}".` };
    }
    const algorithm = (params.get('algorithm') ?? 'MD5').toUpperCase();
    if (algorithm !== this.#settings.algorithm) {
      return {
        ok: false,
        failure: 'unauthorized',
        detail: `The Digest algorithm must be ${this.#settings.algorithm} as offered in the challenge.`,
      };
    }

    const qop = params.get('qop');
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    let nonceCount = 0;
    if (this.#settings.qop === 'auth') {
      // qop was offered: RFC 7616 makes it mandatory, and without nc there is no replay protection.
      if (qop !== 'auth') {
        return {
          ok: false,
          failure: 'unauthorized',
          detail: 'The challenge offered qop="auth": answer with qop=auth.',
        };
      }
      if (!nc || !/^[0-9a-f]{8}$/i.test(nc) || !cnonce) {
        return { ok: false, failure: 'malformed', detail: 'qop=auth needs an 8-hex-digit nc and a cnonce.' };
      }
      nonceCount = Number.parseInt(nc, 16);
    } else if (qop !== undefined) {
      return { ok: false, failure: 'unauthorized', detail: 'qop was not offered in the challenge: omit it.' };
    }

    const ha1 = digestHash(algorithm as DigestAlgorithm, `${username}:${DIGEST_REALM}:${password}`);
    const ha2 = digestHash(algorithm as DigestAlgorithm, `${method}:${uri}`);
    const expected =
      this.#settings.qop === 'auth'
        ? digestHash(algorithm as DigestAlgorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)
        : digestHash(algorithm as DigestAlgorithm, `${ha1}:${nonce}:${ha2}`);
    if (!sameHex(expected, response)) {
      return { ok: false, failure: 'unauthorized', detail: 'The API key is unknown or the digest is wrong.' };
    }

    // RFC 7616: stale=true only when the digest itself is right, i.e. the caller knows the password.
    const state = this.#nonces.get(nonce);
    if (!state || this.#nowMs() - state.issuedAtMs > this.#settings.nonceTtlMs) {
      return { ok: false, failure: 'stale', detail: 'The nonce has expired: answer the new challenge.' };
    }
    if (this.#settings.qop === 'auth') {
      if (nonceCount <= state.lastNonceCount) {
        return {
          ok: false,
          failure: 'stale',
          detail: `Nonce count ${nc} was not greater than the last one used with this nonce (replay).`,
        };
      }
      state.lastNonceCount = nonceCount;
    }
    return { ok: true, username };
  }

  #forgetExpiredNonces(): void {
    const now = this.#nowMs();
    for (const [nonce, state] of this.#nonces) {
      if (now - state.issuedAtMs > this.#settings.nonceTtlMs) this.#nonces.delete(nonce);
    }
  }
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
