import { describe, expect, it } from 'vitest';
import {
  type ConsoleFormat,
  ConsolePublisher,
} from '../../../functions/adapters/console/console-publisher.ts';
import { EVENT_CATALOGUE } from '../../../functions/core/event-catalogue.ts';
import type { AlertGroup } from '../../../functions/core/ports.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';

const JOB = '5f3a1b2c0000000000000003';
const OTHER_JOB = '5f3a1b2c0000000000000004';
const URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-CON/electron.tar.gz';
const OTHER_URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-OTHER/x.tar.gz';
const URLS = new Map([
  [JOB, URL_SECRET],
  [OTHER_JOB, OTHER_URL_SECRET],
]);

function expiring(n: number): AuditRecord {
  return {
    eventId: `evt-${n}`,
    eventType: 'DELIVERY_EXPIRING',
    severity: 'warning',
    projectId: '5f0000000000000000000001',
    clusterId: '5f0000000000000000000002',
    targetName: 'orders-prod',
    jobId: JOB,
    detectedAt: '2026-05-01T10:00:00.000Z',
    summary: 'restore 5f3a1b2c… download link expires in 14 min, not downloaded yet',
    after: {
      jobId: JOB,
      statusName: 'FINISHED',
      deliveryStatus: 'READY',
      hasDownloadUrl: true,
      downloaded: false,
    },
    details: { thresholdMinutes: 15, expires: '2026-05-01T10:14:00Z', minutesLeft: 14 },
    runId: 'run-1',
    publishAttempts: 0,
  };
}

function capture(format?: ConsoleFormat, includeDownloadUrl = false, color = false) {
  const chunks: string[] = [];
  const publisher = new ConsolePublisher({
    write: (text) => chunks.push(text),
    consoleBaseUrl: 'https://cloud.mongodb.com',
    includeDownloadUrl,
    ...(format ? { format } : {}),
    color,
  });
  return { publisher, output: () => chunks.join('') };
}

const GROUPS: AlertGroup[] = [{ events: [expiring(1)] }, { events: [expiring(2)] }];
const info = EVENT_CATALOGUE.DELIVERY_EXPIRING;

describe('ConsolePublisher', () => {
  it('prints the email and the Slack preview of each alert and reports it delivered', async () => {
    // Prepare
    const { publisher, output } = capture();

    // Act
    const outcomes = await publisher.publish(GROUPS, { downloadUrls: URLS });

    // Assess
    const text = output();
    expect(text).toContain(
      'Subject: [WARNING] orders-prod restore 5f3a1b2c... download link expires in 14 min',
    );
    expect(text).toContain(info.title);
    for (const step of info.nextSteps) expect(text).toContain(step.text);
    expect(text).toContain('Slack  thread 5f3a1b2c0000000000000003');
    expect(text).toContain('Next steps');
    expect(text).toContain('evt-1');
    expect(text.endsWith('\n')).toBe(true);
    expect(outcomes).toEqual([
      { eventIds: ['evt-1'], ok: true, messageId: 'console-1' },
      { eventIds: ['evt-2'], ok: true, messageId: 'console-2' },
    ]);
  });

  it('shows no download URL unless opted in', async () => {
    // Prepare
    const { publisher, output } = capture('both', false);

    // Act
    await publisher.publish(GROUPS, { downloadUrls: URLS });

    // Assess
    expect(output()).not.toContain('SENTINEL');
  });

  it('shows the URL of the alert’s own job when opted in', async () => {
    // Prepare
    const { publisher, output } = capture('email', true);

    // Act
    await publisher.publish([{ events: [expiring(1)] }], { downloadUrls: URLS });

    // Assess
    expect(output()).toContain(URL_SECRET);
    expect(output()).not.toContain('SENTINEL-URL-OTHER');
  });

  it('prints only the email block with format "email"', async () => {
    // Prepare
    const { publisher, output } = capture('email');

    // Act
    await publisher.publish([{ events: [expiring(1)] }], {});

    // Assess
    expect(output()).toContain('Subject: ');
    expect(output()).not.toContain('Slack  thread');
  });

  it('prints only the Slack preview with format "slack", emoji included', async () => {
    // Prepare
    const { publisher, output } = capture('slack');

    // Act
    await publisher.publish([{ events: [expiring(1)] }], {});

    // Assess
    expect(output()).not.toContain('Subject: ');
    expect(output()).toContain(`⚠️  [WARNING] ${info.title}: orders-prod`);
    expect(output()).toContain('[warning] [DELIVERY_EXPIRING] [orders-prod]');
  });

  it('prints the machine-readable event with format "json"', async () => {
    // Prepare
    const { publisher, output } = capture('json');

    // Act
    await publisher.publish([{ events: [expiring(1)] }], {});

    // Assess
    const { publishAttempts: _attempts, ...event } = expiring(1);
    expect(JSON.parse(output())).toEqual({
      schema: 'restore-watch.event/v1',
      ...event,
      incidentKey: `job/${JOB}/expiring`,
      action: 'trigger',
    });
  });

  it('colours only when asked to', async () => {
    // Prepare
    const plain = capture('both', false, false);
    const coloured = capture('both', false, true);

    // Act
    await plain.publisher.publish(GROUPS, {});
    await coloured.publisher.publish(GROUPS, {});

    // Assess
    expect(plain.output()).not.toContain('\u001b[');
    expect(coloured.output()).toContain('\u001b[33m');
  });
});
