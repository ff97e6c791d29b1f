/**
 * The one definition of the state table, imported by the CDK stack (`lib/`), the CLI's `init` and the
 * DynamoDB adapter. Single-table design:
 *
 * | item            | pk                      | sk            | gsi1pk / gsi1sk                          | gsi2pk / gsi2sk               | owedPk / owedSk             |
 * |-----------------|-------------------------|---------------|------------------------------------------|-------------------------------|-----------------------------|
 * | target state    | `TARGET#{project}#{cl}` | `#TARGET`     | `TARGETS` / `{project}#{cluster}`        |                               |                             |
 * | job state       | `TARGET#{project}#{cl}` | `JOB#{jobId}` | `JOBS#{project}#{cl}` / `{requestedAt}#{jobId}` |                        |                             |
 * | job digest      | `TARGET#{project}#{cl}` | `#DIGEST`     |                                          |                               |                             |
 * | audit event     | `EVENT#{eventId}`       | `EVENT`       | `TARGET#{project}#{cl}` / `{detectedAt}#{eventId}` | `JOB#{jobId}` / `{detectedAt}#{eventId}` | `OWED` / `{detectedAt}#{eventId}` while owed |
 * | run lease       | `LEASE#poll[#i/N]`      | `LEASE`       |                                          |                               |                             |
 * | incident        | `INCIDENT#{key}`        | `INCIDENT`    |                                          |                               | `OWED` / `!INCIDENT#{key}` while open |
 * | silence         | `SILENCE#{id}`          | `SILENCE`     |                                          |                               | `OWED` / `!SILENCE#{endsAt}#{id}` |
 *
 * Audit events are keyed by their deterministic id so that recording the same event twice is a no-op,
 * which is what makes "record, then publish, then mark" safe without transactions. An event stays in
 * the owed index while any channel still waits for it (each channel's delivery is kept on the item:
 * SNS in the historical top-level fields, PagerDuty under `pagerduty`).
 *
 * The owed index is what every run reads first, in ONE query: open incidents and silences sort before
 * the events (`!` sorts before the digits an ISO `detectedAt` starts with), so a quiet poll reads its
 * incidents, its silences and its owed alerts with a single request. Incident items are keyed by their
 * incident key (a target or a job, never a run); closed ones leave the index and expire with the audit
 * trail. Silences expire (TTL) a week after they end.
 *
 * Migration from items written before incidents existed: none needed. Old events carry no `action` or
 * `pagerduty` and read as SNS-only (their incident comes from the catalogue's rule, `incidentOf`);
 * incident and silence items are new item types in the existing index; no key or index changed.
 *
 * The job digest is one Binary attribute `jobs` of 20 bytes a job (functions/core/job-digest.ts), up to
 * 16,000 jobs (320,000 bytes, under DynamoDB's 400 KB item limit). The run lease is one item per
 * shard of the fleet: `LEASE#poll` unsharded, `LEASE#poll#2/4` for the second of four shards.
 *
 * gsi1 answers every "this target over a period" question with one key-range Query per target: its
 * audit trail by detection time, and its job states by request time (`created`, else first seen), which
 * is what `restore-watch report` reads instead of scanning. Job states written before the `JOBS#`
 * keys existed get them from `restore-watch init` (see docs/deploy.md, "Upgrading").
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes audit items after it (dynalite never does). */
  ttlAttribute: 'ttl',
  indexes: {
    /** Targets; the audit trail of one target by time; the job states of one target by request time. */
    byTarget: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** The audit trail of one job by time. */
    byJob: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /**
     * Sparse: events still owed to some channel, open incidents and silences (the name predates the
     * latter two; renaming a deployed index would rebuild it).
     */
    owed: { name: 'owed', partitionKey: 'owedPk', sortKey: 'owedSk' },
  },
} as const;

export type IndexName = keyof typeof TABLE_SCHEMA.indexes;

/** Default retention of audit items (days), overridable in the config's `state.retentionDays`. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;
