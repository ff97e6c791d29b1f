/**
 * OAuth 2.0 client-credentials tokens for Cloud Manager service accounts. The token endpoint allows
 * only 10 requests a minute, so the token is cached until shortly before it expires, and concurrent
 * callers share one in-flight request. A caller that aborts stops waiting; the shared request goes on
 * for the others (it has its own timeout).
 *
 * Tokens are held here and nowhere else; they are never logged (the client adds them to the list of
 * strings scrubbed from upstream error text).
 */
import { raceAbort } from '../../core/sleep.ts';

export interface FetchedToken {
  accessToken: string;
  /** `expires_in` from the token response; absent when the server did not say. */
  expiresInSeconds?: number;
}

export interface TokenLease {
  token: string;
  /** True when served from the cache: a 401 then may mean the token died early, worth one refresh. */
  fromCache: boolean;
}

export interface OAuthTokenCacheOptions {
  /** Performs the token request (HTTP, errors) and returns the token. */
  fetchToken: () => Promise<FetchedToken>;
  now: () => number;
  /** When `expires_in` is missing. @default 3600 (the documented lifetime) */
  defaultLifetimeSeconds?: number;
}

/** Refresh this long before expiry: 10% of the lifetime, at most 60 s (a 1 h token lives 59 min). */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs * 0.1);
}

export class OAuthTokenCache {
  readonly #fetchToken: () => Promise<FetchedToken>;
  readonly #now: () => number;
  readonly #defaultLifetimeMs: number;
  #cached: { token: string; refreshAt: number } | undefined;
  #inflight: Promise<string> | undefined;
  /** Every token seen, kept only so error text can be scrubbed of them. */
  readonly #seen: string[] = [];

  constructor(options: OAuthTokenCacheOptions) {
    this.#fetchToken = options.fetchToken;
    this.#now = options.now;
    this.#defaultLifetimeMs = (options.defaultLifetimeSeconds ?? 3600) * 1000;
  }

  async get(signal?: AbortSignal): Promise<TokenLease> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAt) return { token: cached.token, fromCache: true };
    if (!this.#inflight) {
      const request = this.#refresh();
      this.#inflight = request;
      // Clear the slot whether it worked or not, but only if no newer request replaced it.
      const clear = () => {
        if (this.#inflight === request) this.#inflight = undefined;
      };
      request.then(clear, clear);
    }
    const token = await raceAbort(this.#inflight, signal);
    return { token, fromCache: false };
  }

  /** Drops `token` if it is still the cached one (a concurrent caller may have refreshed already). */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  /** Tokens this cache has held, for scrubbing error text. */
  knownTokens(): readonly string[] {
    return this.#seen;
  }

  async #refresh(): Promise<string> {
    const fetched = await this.#fetchToken();
    const lifetimeMs =
      fetched.expiresInSeconds !== undefined && fetched.expiresInSeconds > 0
        ? fetched.expiresInSeconds * 1000
        : this.#defaultLifetimeMs;
    this.#cached = {
      token: fetched.accessToken,
      refreshAt: this.#now() + lifetimeMs - refreshMarginMs(lifetimeMs),
    };
    if (!this.#seen.includes(fetched.accessToken)) {
      this.#seen.push(fetched.accessToken);
      if (this.#seen.length > 8) this.#seen.shift();
    }
    return fetched.accessToken;
  }
}
