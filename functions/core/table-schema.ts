/**
 * The one definition of the state table, imported by the CDK stack (`lib/`), the CLI's `init` and the
 * DynamoDB adapter. Single-table design:
 *
 * | item            | pk                      | sk            | gsi1pk / gsi1sk                          | gsi2pk / gsi2sk               | owedPk / owedSk             |
 * |-----------------|-------------------------|---------------|------------------------------------------|-------------------------------|-----------------------------|
 * | target state    | `TARGET#{project}#{cl}` | `#TARGET`     | `TARGETS` / `{project}#{cluster}`        |                               |                             |
 * | job state       | `TARGET#{project}#{cl}` | `JOB#{jobId}` |                                          |                               |                             |
 * | job digest      | `TARGET#{project}#{cl}` | `#DIGEST`     |                                          |                               |                             |
 * | audit event     | `EVENT#{eventId}`       | `EVENT`       | `TARGET#{project}#{cl}` / `{detectedAt}#{eventId}` | `JOB#{jobId}` / `{detectedAt}#{eventId}` | `OWED` / `{detectedAt}#{eventId}` while owed |
 * | run lease       | `LEASE#poll[#i/N]`      | `LEASE`       |                                          |                               |                             |
 *
 * The job digest is one Binary attribute `jobs` of 20 bytes a job (functions/core/job-digest.ts), up to
 * 16,000 jobs (320,000 bytes, under DynamoDB's 400 KB item limit). The run lease is one item per
 * shard of the fleet: `LEASE#poll` unsharded, `LEASE#poll#2/4` for the second of four shards.
 *
 * Audit events are keyed by their deterministic id so that recording the same event twice is a no-op,
 * which is what makes "record, then publish, then mark" safe without transactions.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes audit items after it (dynalite never does). */
  ttlAttribute: 'ttl',
  indexes: {
    /** Targets, and the audit trail of one target by time. */
    byTarget: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** The audit trail of one job by time. */
    byJob: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** Sparse: only events still owed to SNS. */
    owed: { name: 'owed', partitionKey: 'owedPk', sortKey: 'owedSk' },
  },
} as const;

export type IndexName = keyof typeof TABLE_SCHEMA.indexes;

/** Default retention of audit items (days), overridable in the config's `state.retentionDays`. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;
