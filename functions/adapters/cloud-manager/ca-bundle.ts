/**
 * Reads and checks `cloudManager.caFile`: the PEM bundle of CA certificates trusted in addition to the
 * public roots. The schema only knows it is a path; this is the I/O, shared by every loader (the
 * CLI, the CDK app that copies the file into the Lambda bundle, the handler at cold start), so a bad
 * file is the same `ConfigError` everywhere, naming the file and the fix:
 *
 * - the path is relative to the configuration file (not to the working directory);
 * - it must hold at least one `-----BEGIN CERTIFICATE-----` block, and every block must parse;
 * - it must not hold a private key (the file travels into the Lambda bundle);
 * - an expired certificate is refused: it could never verify anything.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../core/config.ts';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const FIELD = 'cloudManager.caFile';

export interface CaBundle {
  /** Absolute path of the file read. */
  path: string;
  /** The certificates, PEM, in file order (nothing else of the file). */
  pem: string;
  /** One line per certificate, e.g. `CN=Corp Root CA, valid until 2031-01-01`. */
  certificates: string[];
}

/** Where a caFile resolves: relative paths are taken from the configuration file's folder. */
export function caFilePath(caFile: string, configFile: string): string {
  return isAbsolute(caFile) ? caFile : resolve(dirname(configFile), caFile);
}

function subjectOf(certificate: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
  return cn ? `CN=${cn}` : certificate.subject.split('\n')[0] || 'an unnamed certificate';
}

/**
 * Reads `caFile` (relative to `configFile`) and checks it; throws one `ConfigError` for
 * `configSource` listing every problem of the file.
 */
export function readCaBundle(
  caFile: string,
  configFile: string,
  options: { configSource?: string; now?: Date; read?: (path: string) => string } = {},
): CaBundle {
  const path = caFilePath(caFile, configFile);
  const source = options.configSource ?? configFile;
  const named = `${FIELD}: ${caFile}${path === caFile ? '' : ` (${path})`}`;
  let text: string;
  try {
    text = (options.read ?? ((file) => readFileSync(file, 'utf8')))(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `does not exist; the path is relative to the configuration file's folder (${dirname(configFile)})`
        : code === 'EACCES'
          ? 'cannot be read (permission denied): make it readable by this user'
          : code === 'EISDIR'
            ? 'is a directory: name the PEM file itself'
            : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError(source, [`${named} ${why}`], { cause: error });
  }
  const problems: string[] = [];
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    problems.push(
      `${named} contains a private key: remove it (the file needs only CA certificates, and it is copied into the Lambda bundle)`,
    );
  }
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    problems.push(
      `${named} holds no PEM certificate (-----BEGIN CERTIFICATE-----): export the CA certificate as PEM, e.g. openssl x509 -inform der -in ca.cer -out ca.pem`,
    );
  }
  const now = options.now ?? new Date();
  const certificates: string[] = [];
  blocks.forEach((block, index) => {
    const which = blocks.length > 1 ? `certificate ${index + 1} of ${blocks.length}` : 'its certificate';
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      problems.push(`${named}: ${which} is not a valid X.509 certificate (${(error as Error).message})`);
      return;
    }
    const validTo = new Date(certificate.validTo);
    if (validTo.getTime() < now.getTime()) {
      problems.push(
        `${named}: ${which} (${subjectOf(certificate)}) expired on ${validTo.toISOString()}: replace it with the CA's current certificate`,
      );
      return;
    }
    certificates.push(`${subjectOf(certificate)}, valid until ${validTo.toISOString().slice(0, 10)}`);
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { path, pem: `${blocks.join('\n')}\n`, certificates };
}
