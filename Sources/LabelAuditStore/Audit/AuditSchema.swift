import GRDB

/// The audit database's schema, one migration per version.
///
/// `PRAGMA user_version` holds the number of migrations applied and `application_id` marks the
/// file as ours, so a database from a newer build is recognised from its header alone, before
/// anything could write to it.
enum AuditSchema {
    /// Migration identifiers in order; `user_version` equals the index of the last one plus 1.
    static let migrationIdentifiers = ["v1-events-and-state", "v2-audit-sample"]
    static var version: Int { migrationIdentifiers.count }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(migrationIdentifiers[0]) { db in
            // Text that comes from people (notes, tags, old/new values) is stored as BLOB of
            // UTF-8: SQLite TEXT read back through C strings would cut at a NUL byte.
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        id TEXT PRIMARY KEY NOT NULL,
                        action TEXT NOT NULL,
                        item TEXT NOT NULL,
                        reviewer TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('verdict', 'note', 'tags', 'flag', 'undo')),
                        field TEXT NOT NULL CHECK (field IN ('verdict', 'note', 'tags', 'flag')),
                        old_value BLOB,
                        new_value BLOB,
                        undoes TEXT
                    );
                    CREATE INDEX event_by_pair ON event (item, reviewer, at, id);
                    CREATE INDEX event_by_reviewer ON event (reviewer, at, id);
                    CREATE INDEX event_by_time ON event (at, id);
                    CREATE INDEX event_by_undone ON event (undoes) WHERE undoes IS NOT NULL;
                    CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit event log is append-only'); END;
                    CREATE TRIGGER event_is_append_only_delete BEFORE DELETE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit event log is append-only'); END;

                    CREATE TABLE reviewer_state (
                        item TEXT NOT NULL,
                        reviewer TEXT NOT NULL,
                        verdict TEXT CHECK (verdict IN ('label_ok', 'label_wrong', 'unsure', 'bad_image')),
                        note BLOB,
                        tags BLOB,
                        flagged INTEGER NOT NULL DEFAULT 0,
                        first_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        verdict_at INTEGER,
                        PRIMARY KEY (item, reviewer)
                    ) WITHOUT ROWID;
                    CREATE INDEX reviewer_state_flagged ON reviewer_state (item) WHERE flagged = 1;

                    -- For people reading the file with sqlite3: one row per item with a verdict.
                    CREATE VIEW consensus AS
                        SELECT item,
                               COUNT(*) AS reviewers,
                               CASE WHEN COUNT(*) = 1 THEN 'single'
                                    WHEN COUNT(DISTINCT verdict) = 1 THEN 'agreed'
                                    ELSE 'conflict' END AS status,
                               group_concat(reviewer || '=' || verdict, ', ') AS verdicts
                        FROM (SELECT * FROM reviewer_state WHERE verdict IS NOT NULL ORDER BY item, reviewer)
                        GROUP BY item;
                    """)
            try db.execute(sql: "PRAGMA application_id = \(AuditFileProbe.applicationID)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration(migrationIdentifiers[1]) { db in
            // Uniformly random audit samples (`:sample N`): the random part the noise estimate
            // needs, since the queue shows likely errors first. One row per sampled item; rows
            // carry the sample's UUID so merging other databases is idempotent. Append-only.
            try db.execute(sql: """
                CREATE TABLE audit_sample (
                    sample TEXT NOT NULL,
                    item TEXT NOT NULL,
                    reviewer TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    seed INTEGER NOT NULL,
                    population INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (sample, item)
                ) WITHOUT ROWID;
                CREATE INDEX audit_sample_by_item ON audit_sample (item);
                CREATE TRIGGER audit_sample_is_append_only_update BEFORE UPDATE ON audit_sample
                    BEGIN SELECT RAISE(ABORT, 'the audit sample log is append-only'); END;
                CREATE TRIGGER audit_sample_is_append_only_delete BEFORE DELETE ON audit_sample
                    BEGIN SELECT RAISE(ABORT, 'the audit sample log is append-only'); END;
                """)
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        return migrator
    }
}
