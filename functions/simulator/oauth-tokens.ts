/**
 * OAuth 2.0 client-credentials tokens for service accounts (RFC 6749 §4.4, revocation per RFC 7009).
 * Tokens are opaque random strings that live `ttlSeconds` on the injected clock.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

interface IssuedToken {
  clientId: string;
  expiresAtMs: number;
}

export type BearerVerdict = { ok: true; clientId: string } | { ok: false; detail: string };

export class OAuthTokenIssuer {
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #ttlSeconds: number;
  readonly #nowMs: () => number;
  readonly #tokens = new Map<string, IssuedToken>();

  constructor(secrets: ReadonlyMap<string, string>, ttlSeconds: number, nowMs: () => number) {
    this.#secrets = secrets;
    this.#ttlSeconds = ttlSeconds;
    this.#nowMs = nowMs;
  }

  /** True when `clientId`/`clientSecret` belong to a configured service account. */
  authenticateClient(clientId: string, clientSecret: string): boolean {
    const expected = this.#secrets.get(clientId);
    if (expected === undefined) return false;
    const a = Buffer.from(expected, 'utf8');
    const b = Buffer.from(clientSecret, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  issue(clientId: string): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    const now = this.#nowMs();
    for (const [token, issued] of this.#tokens) {
      if (issued.expiresAtMs <= now) this.#tokens.delete(token);
    }
    const accessToken = randomBytes(32).toString('base64url');
    this.#tokens.set(accessToken, { clientId, expiresAtMs: now + this.#ttlSeconds * 1000 });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.#ttlSeconds };
  }

  /** RFC 7009: revoking an unknown token, or one of another client, is not an error and changes nothing. */
  revoke(clientId: string, token: string): void {
    if (this.#tokens.get(token)?.clientId === clientId) this.#tokens.delete(token);
  }

  verify(token: string): BearerVerdict {
    const issued = this.#tokens.get(token);
    if (!issued)
      return { ok: false, detail: 'The access token is not valid (unknown or revoked): request a new one.' };
    if (this.#nowMs() >= issued.expiresAtMs) {
      return { ok: false, detail: 'The access token has expired: request a new one.' };
    }
    return { ok: true, clientId: issued.clientId };
  }
}
