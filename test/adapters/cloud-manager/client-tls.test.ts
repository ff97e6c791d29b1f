/**
 * The client against the simulator over real HTTPS, with certificates from a private CA made for the
 * test: a private CA is trusted only through the connection's extra CAs, and every TLS failure
 * (untrusted issuer, self-signed, wrong host, expired, not yet valid, not TLS at all) is a
 * non-retried `CloudManagerTlsError` whose message names the cause and the fix.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudManagerTlsError, isRetryable } from '../../../functions/adapters/cloud-manager/client.ts';
import { CloudManagerConnection } from '../../../functions/adapters/cloud-manager/connection.ts';
import type { CloudManagerSimulator } from '../../../functions/simulator/cloud-manager-simulator.ts';
import {
  createSelfSignedCertificate,
  createTestCa,
  type IssuedCertificate,
  type TestCa,
} from '../../support/certificates.ts';
import { addTarget, clientFor, startSimulator } from './client-fixtures.ts';

const DAY_MS = 86_400_000;
/** X.509 keeps whole seconds; messages print them as ISO 8601 without milliseconds. */
const isoSeconds = (date: Date) =>
  new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

let ca: TestCa;
let otherCa: TestCa;
let sim: CloudManagerSimulator | undefined;

beforeAll(async () => {
  ca = await createTestCa('Example Corp Root CA');
  otherCa = await createTestCa('Another Corp Root CA');
});

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function serveWith(certificate: IssuedCertificate): Promise<CloudManagerSimulator> {
  sim = await startSimulator({ tls: { key: certificate.keyPem, cert: certificate.certPem } });
  return sim;
}

/** The error of listing the clusters of a fresh project, which must fail. */
async function listingError(
  server: CloudManagerSimulator,
  connection?: CloudManagerConnection,
): Promise<CloudManagerTlsError> {
  const { projectId } = addTarget(server);
  const client = clientFor(server, connection ? { connection } : {});
  const error = await client.listClusters(projectId).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CloudManagerTlsError);
  expect(client.stats.retries).toBe(0);
  return error as CloudManagerTlsError;
}

describe('trust', () => {
  it('lists clusters over HTTPS when the connection trusts the private CA', async () => {
    // Prepare
    const server = await serveWith(await ca.issue());
    const { projectId, clusterId } = addTarget(server);
    const connection = new CloudManagerConnection({ extraCaPem: ca.certPem, caSource: 'ca.pem' });

    // Act
    const clusters = await clientFor(server, { connection }).listClusters(projectId);

    // Assess
    expect(server.baseUrl).toMatch(/^https:/);
    expect(clusters.map((c) => c.id)).toEqual([clusterId]);
  });

  it('trusts every certificate of a PEM bundle', async () => {
    // Prepare
    const bundle = `${ca.certPem}${otherCa.certPem}`;
    const connection = new CloudManagerConnection({ extraCaPem: bundle, caSource: 'bundle.pem' });
    const listed: number[] = [];

    // Act
    for (const issuer of [ca, otherCa]) {
      const server = await serveWith(await issuer.issue());
      const { projectId } = addTarget(server);
      listed.push((await clientFor(server, { connection }).listClusters(projectId)).length);
      await server.stop();
    }

    // Assess
    expect(listed).toEqual([1, 1]);
  });

  it('refuses a private CA without caFile, naming the issuer and the fix, and sends no request', async () => {
    // Prepare
    const server = await serveWith(await ca.issue());

    // Act
    const error = await listingError(server);

    // Assess
    expect(error.errorCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(error.host).toBe('127.0.0.1');
    expect(isRetryable(error)).toBe(false);
    expect(error.message).toContain('"Example Corp Root CA", a CA this monitor does not trust');
    expect(error.message).toContain(
      "set cloudManager.caFile to the PEM certificate of the CA that signed 127.0.0.1's certificate",
    );
    expect(server.requests).toHaveLength(0);
  });

  it('says that the configured caFile lacks the CA when another CA signed the certificate', async () => {
    // Prepare
    const server = await serveWith(await otherCa.issue());
    const connection = new CloudManagerConnection({ extraCaPem: ca.certPem, caSource: 'certs/corp-ca.pem' });

    // Act
    const error = await listingError(server, connection);

    // Assess
    expect(error.message).toContain('issued by "Another Corp Root CA"');
    expect(error.message).toContain('to cloudManager.caFile (certs/corp-ca.pem does not contain it)');
  });

  it('names a self-signed server certificate as such', async () => {
    // Prepare
    const server = await serveWith(await createSelfSignedCertificate({ names: ['opsmanager.internal'] }));

    // Act
    const error = await listingError(server);

    // Assess
    expect(error.errorCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toContain('presents a self-signed certificate ("opsmanager.internal")');
    expect(error.message).toContain('set cloudManager.caFile to a PEM file with that certificate');
  });

  it('trusts a self-signed server certificate once caFile holds it, as that message says', async () => {
    // Prepare
    const selfSigned = await createSelfSignedCertificate({ names: ['localhost'], ips: ['127.0.0.1'] });
    const server = await serveWith(selfSigned);
    const { projectId } = addTarget(server);
    const connection = new CloudManagerConnection({ extraCaPem: selfSigned.certPem });

    // Act
    const clusters = await clientFor(server, { connection }).listClusters(projectId);

    // Assess
    expect(clusters).toHaveLength(1);
  });
});

describe('certificates that no caFile can fix', () => {
  it('lists the names a certificate for another host carries', async () => {
    // Prepare
    const server = await serveWith(
      await ca.issue({ names: ['ops.example.com', 'ops-2.example.com'], ips: [] }),
    );
    const connection = new CloudManagerConnection({ extraCaPem: ca.certPem });

    // Act
    const error = await listingError(server, connection);

    // Assess
    expect(error.errorCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toContain(
      'the certificate is for ops.example.com, ops-2.example.com, not 127.0.0.1',
    );
    expect(error.message).toContain('cloudManager.caFile cannot fix a name mismatch');
  });

  it('gives the date an expired certificate expired on', async () => {
    // Prepare
    const leaf = await ca.issue({
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - 2 * DAY_MS),
    });
    const server = await serveWith(leaf);
    const connection = new CloudManagerConnection({ extraCaPem: ca.certPem });

    // Act
    const error = await listingError(server, connection);

    // Assess
    expect(error.errorCode).toBe('CERT_HAS_EXPIRED');
    expect(error.message).toContain(`the certificate of 127.0.0.1 expired on ${isoSeconds(leaf.notAfter)}`);
    expect(error.message).toContain("renew the server's certificate");
    expect(server.requests).toHaveLength(0);
  });

  it('gives the date a certificate becomes valid on', async () => {
    // Prepare
    const leaf = await ca.issue({
      notBefore: new Date(Date.now() + 2 * DAY_MS),
      notAfter: new Date(Date.now() + 30 * DAY_MS),
    });
    const server = await serveWith(leaf);
    const connection = new CloudManagerConnection({ extraCaPem: ca.certPem });

    // Act
    const error = await listingError(server, connection);

    // Assess
    expect(error.errorCode).toBe('CERT_NOT_YET_VALID');
    expect(error.message).toContain(`is not valid before ${isoSeconds(leaf.notBefore)}`);
  });

  it('says when an https:// URL points at a port that does not speak TLS', async () => {
    // Prepare: the simulator over plain HTTP, called as https://
    sim = await startSimulator();
    const { projectId } = addTarget(sim);
    const client = clientFor(sim, { baseUrl: sim.baseUrl.replace(/^http:/, 'https:') });

    // Act
    const error = await client.listClusters(projectId).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerTlsError);
    expect((error as CloudManagerTlsError).message).toContain('on a port that speaks TLS (not plain HTTP)');
    expect(isRetryable(error)).toBe(false);
  });
});
