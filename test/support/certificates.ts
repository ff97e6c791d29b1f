/**
 * A private certificate authority made at test time: no private key is ever committed. ECDSA P-256
 * keys from Node's WebCrypto, certificates from @peculiar/x509 (which needs a Reflect metadata
 * polyfill, hence the first import).
 *
 * ```ts
 * const ca = await createTestCa();
 * const leaf = await ca.issue({ names: ['localhost'], ips: ['127.0.0.1'] });
 * // serve with { key: leaf.keyPem, cert: leaf.certPem }; trust ca.certPem
 * ```
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** The notAfter of the certificate (what an "expired on" message must name). */
  notAfter: Date;
  notBefore: Date;
}

export interface TestCa {
  /** The CA's own certificate: what `cloudManager.caFile` should contain. */
  certPem: string;
  name: string;
  /** A server certificate signed by this CA. */
  issue(options?: LeafOptions): Promise<IssuedCertificate>;
}

export interface LeafOptions {
  /** DNS names in subjectAltName. @default ['localhost'] */
  names?: string[];
  /** IP addresses in subjectAltName. @default ['127.0.0.1'] */
  ips?: string[];
  /** @default one hour ago */
  notBefore?: Date;
  /** @default thirty days from now */
  notAfter?: Date;
}

let serial = 1;
const nextSerial = () => (serial++).toString(16).padStart(4, '0');

function pem(label: string, der: ArrayBuffer): string {
  const body =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

/** What makes a certificate a TLS server's: not a CA, its names, serverAuth. */
function serverExtensions(names: string[], ips: string[]): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.SubjectAlternativeNameExtension([
      ...names.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ];
}

/** A root CA valid from yesterday for a year. */
export async function createTestCa(name = 'restore-watch Test Root CA'): Promise<TestCa> {
  const keys = await newKeys();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: `${caCert.toString('pem')}\n`,
    name,
    issue: async (options = {}) => {
      const leafKeys = await newKeys();
      const names = options.names ?? ['localhost'];
      const ips = options.ips ?? ['127.0.0.1'];
      const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
      const notAfter = options.notAfter ?? new Date(Date.now() + 30 * DAY_MS);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: `CN=${names[0] ?? ips[0] ?? 'server'}`,
        issuer: caCert.subject,
        notBefore,
        notAfter,
        signingKey: keys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          ...serverExtensions(names, ips),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return {
        certPem: `${cert.toString('pem')}\n`,
        keyPem: await privateKeyPem(leafKeys),
        notBefore,
        notAfter,
      };
    },
  };
}

/** A server certificate that signs itself (no CA at all): Node reports DEPTH_ZERO_SELF_SIGNED_CERT. */
export async function createSelfSignedCertificate(
  options: { names?: string[]; ips?: string[] } = {},
): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const names = options.names ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1'];
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${names[0] ?? 'server'}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: serverExtensions(names, ips),
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys), notBefore, notAfter };
}

/**
 * Trusts `ca` in this process in addition to the default roots, as `NODE_EXTRA_CA_CERTS` would at
 * start-up: for code that keeps to the default roots (the PagerDuty channel, whose real peer has a
 * public certificate) talking to a test peer over HTTPS. Affects connections made after the call;
 * returns the undo (call it in `afterAll`).
 */
export function trustInThisProcess(ca: Pick<TestCa, 'certPem'>): () => void {
  const before = getCACertificates('default');
  setDefaultCACertificates([...before, ca.certPem]);
  return () => setDefaultCACertificates(before);
}
