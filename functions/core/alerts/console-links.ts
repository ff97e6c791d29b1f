/**
 * Links from an alert to the Cloud Manager / Ops Manager UI. Deep links are best effort: the UI routes
 * are not a documented API and may change; the project page always resolves, the fragment after `#`
 * may land on the project's start page.
 */

export interface ConsoleLink {
  label: string;
  url: string;
}

export class InvalidApiBaseUrlError extends Error {
  constructor(value: string, options?: { cause?: unknown }) {
    super(
      `Cannot derive the Cloud Manager UI address from the API base URL "${value}": expected an absolute URL such as https://cloud.mongodb.com/api/public/v1.0`,
      options,
    );
    this.name = 'InvalidApiBaseUrlError';
  }
}

/**
 * The Cloud Manager / Ops Manager UI lives on the same origin as the Public API (plus any path prefix
 * in front of `/api/public`): `https://cloud.mongodb.com/api/public/v1.0` → `https://cloud.mongodb.com`.
 */
export function consoleBaseUrlFor(apiBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch (error) {
    throw new InvalidApiBaseUrlError(apiBaseUrl, { cause: error });
  }
  const at = url.pathname.search(/\/api(\/|$)/);
  const prefix = (at >= 0 ? url.pathname.slice(0, at) : url.pathname).replace(/\/+$/, '');
  return `${url.origin}${prefix}`;
}

/** The pages of a project an on-call opens first: its clusters, and its backups and restore jobs. */
export function consoleLinks(base: string, projectId: string): ConsoleLink[] {
  const root = base.replace(/\/+$/, '');
  const project = encodeURIComponent(projectId);
  return [
    { label: 'Deployment (clusters)', url: `${root}/v2/${project}#/clusters` },
    { label: 'Backup and restore jobs', url: `${root}/v2/${project}#/backup/overview` },
  ];
}
