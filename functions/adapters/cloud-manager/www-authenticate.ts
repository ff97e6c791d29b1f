/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 7616). Tolerant on purpose: several challenges in
 * one header (fetch joins repeated headers with ", "), quoted or bare values, commas and escaped
 * quotes inside quoted strings, any letter case, and the Cloud Manager docs' `op="auth"` typo.
 */

export interface AuthChallenge {
  /** As sent, e.g. `Digest`; compare case-insensitively. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Record<string, string>;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** Upper-cased, `MD5` when absent (RFC 7616 §3.3). */
  algorithm: string;
  /** Offered qop values, lower-cased; empty for a legacy RFC 2069 challenge. */
  qop: string[];
  /** `stale=true`: the credentials were right, only the nonce expired. */
  stale: boolean;
  /** RFC 7616 `userhash=true`; the client answers with a hashed username. */
  userhash: boolean;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Parses every challenge of a `WWW-Authenticate` value. Never throws; garbage yields fewer params. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  let i = 0;
  const n = header.length;
  const skip = (alsoCommas: boolean) => {
    while (i < n && (isSpace(header[i]) || (alsoCommas && header[i] === ','))) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && !isSpace(header[i]) && header[i] !== ',' && header[i] !== '=') i++;
    return header.slice(start, i);
  };
  const readValue = () => {
    if (header[i] === '"') {
      i++;
      let out = '';
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        out += header[i];
        i++;
      }
      i++; // closing quote (or past the end of a truncated header)
      return out;
    }
    const start = i;
    while (i < n && header[i] !== ',' && !isSpace(header[i])) i++;
    return header.slice(start, i);
  };

  while (i < n) {
    skip(true);
    if (i >= n) break;
    const token = readToken();
    if (token === '') {
      i++; // a stray '=': skip it rather than loop
      continue;
    }
    skip(false);
    if (header[i] === '=') {
      // token68 (`Basic abc==`): '=' padding followed by a comma or the end.
      let j = i;
      while (header[j] === '=') j++;
      let k = j;
      while (isSpace(header[k])) k++;
      if (j - i > 0 && (k >= n || header[k] === ',') && current && Object.keys(current.params).length === 0) {
        i = j;
        continue;
      }
      i++;
      skip(false);
      const value = readValue();
      if (current) current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token, params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The Digest challenge of a `WWW-Authenticate` value, or `undefined` when none (or no nonce). */
export function parseDigestChallenge(header: string | null | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const challenge = parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'digest');
  if (!challenge) return undefined;
  const p = challenge.params;
  if (!p.nonce) return undefined;
  // The Cloud Manager docs print `op="auth"`; a server built from them might send it too.
  const qopText = p.qop ?? p.op ?? '';
  const result: DigestChallenge = {
    realm: p.realm ?? '',
    nonce: p.nonce,
    algorithm: (p.algorithm ?? 'MD5').toUpperCase(),
    qop: qopText
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter(Boolean),
    stale: (p.stale ?? '').toLowerCase() === 'true',
    userhash: (p.userhash ?? '').toLowerCase() === 'true',
  };
  if (p.opaque !== undefined) result.opaque = p.opaque;
  return result;
}
