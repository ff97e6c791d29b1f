import { describe, expect, it } from 'vitest';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import { renderSubject, toAsciiLine } from '../../../functions/core/alerts/subject-line.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import { BATCH, batchCompleted, CLUSTER, record } from '../../support/alert-records.ts';

/** The subject of a group, at the 99 characters SNS allows. */
function subjectOf(events: AuditRecord[], maxChars = 99): string {
  return renderSubject(viewAlert({ events }, { includeDownloadUrl: false }), { maxChars });
}

describe('renderSubject', () => {
  it('names severity, target and what happened in ASCII', () => {
    // Act
    const subject = subjectOf([record()]);

    // Assess
    expect(subject).toBe('[CRITICAL] orders-prod restore 5f3a1b2c... BROKEN (was IN_PROGRESS)');
  });

  it('transliterates or strips non-ASCII target names', () => {
    // Prepare
    const event = record({ targetName: 'Bestellungen Müller–Ærø “Straße” 東京' });

    // Act
    const subject = subjectOf([event]);

    // Assess
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[CRITICAL] Bestellungen Muller-AEro "Strasse" restore')).toBe(true);
  });

  it('stays within 99 characters with a 200-character target name and keeps the summary visible', () => {
    // Prepare
    const event = record({ targetName: 'n'.repeat(200) });

    // Act
    const subject = subjectOf([event]);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toContain('nnn...');
    expect(subject).toContain('BROKEN');
  });

  it('truncates a long summary with "..." at the maximum length', () => {
    // Prepare
    const event = record({ summary: `restore ${'x'.repeat(300)}` });

    // Act
    const subject = subjectOf([event]);
    const shorter = subjectOf([event], 60);

    // Assess
    expect(subject).toHaveLength(99);
    expect(subject.endsWith('...')).toBe(true);
    expect(shorter).toHaveLength(60);
  });

  it('has no line breaks or control characters even when the name has them', () => {
    // Prepare
    const event = record({ targetName: 'orders\r\nBcc: evil@example.com\t\u0007prod' });

    // Act
    const subject = subjectOf([event]);

    // Assess
    expect(subject).not.toMatch(/[\p{Cc}]/u);
    expect(subject).toMatch(/^\[CRITICAL\] orders Bcc: evil@example.com prod/);
  });

  it('falls back to the cluster id when nothing of the name is ASCII', () => {
    // Act
    const subject = subjectOf([record({ targetName: '東京' })]);

    // Assess
    expect(subject).toBe(`[CRITICAL] ${CLUSTER} restore 5f3a1b2c... BROKEN (was IN_PROGRESS)`);
  });

  it('gives a batch group the worst severity and counts the other events', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'warning' });
    const shard = record({ eventId: 'shard', batchId: BATCH, severity: 'critical' });
    const info = record({ eventId: 'info', batchId: BATCH, severity: 'info' });

    // Act
    const subject = subjectOf([shard, completed, info]);

    // Assess
    expect(subject).toBe(
      '[CRITICAL] orders-prod batch 5fbbbbbb... completed: 1 BROKEN, 2 FINISHED (+2 more)',
    );
  });
});

describe('toAsciiLine', () => {
  it('collapses whitespace and spells out common letters', () => {
    expect(toAsciiLine('  Ørsted   łódź\nœuvre …  ')).toBe('orsted lodz oeuvre ...');
  });
});
