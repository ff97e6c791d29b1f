/**
 * `cloudManager.caFile` as every loader reads it: relative to the configuration file, certificates
 * only, each one valid; a bad file is one ConfigError naming the file, every problem and the fix.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaBundle } from '../../../functions/adapters/cloud-manager/ca-bundle.ts';
import { ConfigError } from '../../../functions/core/config.ts';
import { createTestCa, type TestCa } from '../../support/certificates.ts';

let ca: TestCa;
let otherCa: TestCa;
let dir: string;
let configFile: string;

beforeAll(async () => {
  ca = await createTestCa('Corp Root CA');
  otherCa = await createTestCa('Corp Second Root CA');
  dir = mkdtempSync(join(tmpdir(), 'restore-watch-ca-'));
  mkdirSync(join(dir, 'config', 'certs'), { recursive: true });
  configFile = join(dir, 'config', 'restore-watch.config.json');
});

function write(name: string, text: string): void {
  writeFileSync(join(dir, 'config', name), text);
}

function problemsOf(caFile: string, options: Parameters<typeof readCaBundle>[2] = {}): readonly string[] {
  try {
    readCaBundle(caFile, configFile, { configSource: 'restore-watch.config.json', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('restore-watch.config.json');
    return (error as ConfigError).problems;
  }
  return [];
}

describe('readCaBundle', () => {
  it('reads a path relative to the configuration file, not the working directory', () => {
    // Prepare
    write('certs/corp.pem', `# exported from the corporate PKI\n${ca.certPem}`);

    // Act
    const bundle = readCaBundle('certs/corp.pem', configFile);

    // Assess: only the certificate blocks are kept
    expect(bundle.path).toBe(join(dir, 'config', 'certs', 'corp.pem'));
    expect(bundle.pem.trim()).toBe(ca.certPem.trim());
    expect(bundle.certificates).toEqual([
      expect.stringMatching(/^CN=Corp Root CA, valid until \d{4}-\d\d-\d\d$/),
    ]);
  });

  it('keeps every certificate of a bundle, in order', () => {
    write('two.pem', `${ca.certPem}\n${otherCa.certPem}`);
    expect(readCaBundle('two.pem', configFile).certificates.map((c) => c.split(',')[0])).toEqual([
      'CN=Corp Root CA',
      'CN=Corp Second Root CA',
    ]);
  });

  it('names a missing file with the folder it was looked for in', () => {
    expect(problemsOf('certs/missing.pem')).toEqual([
      `cloudManager.caFile: certs/missing.pem (${join(dir, 'config', 'certs', 'missing.pem')}) does not exist; the path is relative to the configuration file's folder (${join(dir, 'config')})`,
    ]);
  });

  it('refuses a file without a PEM certificate, saying how to convert one', () => {
    write('der.cer', 'MIIB... (binary DER exported by mistake)');
    expect(problemsOf('der.cer')).toEqual([
      expect.stringContaining(
        'holds no PEM certificate (-----BEGIN CERTIFICATE-----): export the CA certificate as PEM, e.g. openssl x509 -inform der',
      ),
    ]);
  });

  it('refuses a private key, a broken block and an expired certificate, all at once', async () => {
    // Prepare: a leaf's key pasted in, a truncated certificate, and a CA that will have expired
    const leaf = await ca.issue();
    const broken = '-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n';
    write('messy.pem', `${leaf.keyPem}${broken}${otherCa.certPem}`);

    // Act
    const problems = problemsOf('messy.pem', { now: new Date(Date.now() + 2 * 365 * 86_400_000) });

    // Assess
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('contains a private key: remove it');
    expect(problems[1]).toContain('certificate 1 of 2 is not a valid X.509 certificate');
    expect(problems[2]).toMatch(
      /certificate 2 of 2 \(CN=Corp Second Root CA\) expired on \d{4}-.*: replace it with the CA's current certificate/,
    );
    expect(problems.join('\n')).not.toContain(leaf.keyPem.split('\n')[1]);
  });
});
