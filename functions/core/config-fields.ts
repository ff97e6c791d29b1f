/**
 * The field validators the configuration's sections share: ids, base and proxy URLs, minutes, team
 * names, severities. Each wording is written once, here, for every section that uses the field.
 */
import { number, string, enum as zodEnum } from 'zod';

const OBJECT_ID = /^[0-9a-f]{24}$/i;
export const objectId = (what: string) =>
  string({ error: `${what} must be a string` }).regex(OBJECT_ID, {
    error: `${what} must be a 24-character hexadecimal ObjectId`,
  });

/** Base URLs must be https unless they point at this machine (the simulator, a tunnel). */
export function isAllowedBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export const baseUrl = string().refine(isAllowedBaseUrl, {
  error: 'must be an https:// URL (plain http is allowed only for localhost / 127.0.0.1 / [::1])',
});

/**
 * A proxy (`cloudManager.proxyUrl`, `alerts.pagerduty.proxyUrl`): http(s)://host:port, nothing else
 * (credentials stay out of the file).
 */
export function proxyUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as http://proxy.internal:3128';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http:// (or https://) proxy URL such as http://proxy.internal:3128, not ${url.protocol}`;
  }
  if (url.username || url.password) {
    return 'must not contain credentials: the configuration file is not a place for secrets, and an authenticating proxy is not supported for the Lambda (the CLI takes one from HTTPS_PROXY)';
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be only scheme, host and port (no path, query or fragment)';
  }
  return undefined;
}

export const proxyUrl = string().superRefine((value, ctx) => {
  const problem = proxyUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const minutes = (what: string) =>
  number({ error: `${what} must be a number of minutes` })
    .int({ error: `${what} must be a whole number of minutes` })
    .positive({ error: `${what} must be greater than 0` });

/** A team name as alerts carry it (`team` attribute) and subscription filters name it. */
const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
export const team = string().regex(TEAM_NAME, {
  error: 'must be 1-64 characters: letters, digits, space, _ . - (starting with a letter or digit)',
});
export const severity = zodEnum(['info', 'warning', 'critical']);
