import GRDB

/// The audit database's schema, one migration per version.
///
/// `PRAGMA user_version` holds the number of migrations applied and `application_id` marks the
/// file as ours, so a database from a newer build is recognised from its header alone, before
/// anything could write to it.
enum AuditSchema {
    /// Migration identifiers in order; `user_version` equals the index of the last one plus 1.
    static let migrationIdentifiers = ["v1-events-and-state", "v2-audit-sample", "v3-sample-design-and-consensus-rule"]
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
            try db.execute(
                sql: """
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
        migrator.registerMigration(migrationIdentifiers[2]) { db in
            // Importance-weighted audit samples: the inclusion probability of every train face
            // under each weighted draw (the design), so the estimator can weight each reviewed
            // sample face by 1/pi and anyone can check the design later. Uniform draws keep no
            // rows here (pi = draw size / population). Append-only, merged like the samples.
            // The `consensus` view follows the one consensus rule (Docs/report.md): unsure and
            // bad_image abstain, decisive verdicts that disagree are a conflict.
            try db.execute(
                sql: """
                    CREATE TABLE audit_sample_design (
                        sample TEXT NOT NULL,
                        item TEXT NOT NULL,
                        inclusion REAL NOT NULL CHECK (inclusion > 0 AND inclusion <= 1),
                        PRIMARY KEY (sample, item)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER audit_sample_design_is_append_only_update BEFORE UPDATE ON audit_sample_design
                        BEGIN SELECT RAISE(ABORT, 'the audit sample design is append-only'); END;
                    CREATE TRIGGER audit_sample_design_is_append_only_delete BEFORE DELETE ON audit_sample_design
                        BEGIN SELECT RAISE(ABORT, 'the audit sample design is append-only'); END;
                    DROP VIEW consensus;
                    CREATE VIEW consensus AS
                        SELECT item,
                               COUNT(*) AS reviewers,
                               CASE WHEN SUM(verdict = 'label_wrong') > 0 AND SUM(verdict = 'label_ok') > 0 THEN 'conflict'
                                    WHEN SUM(verdict = 'label_wrong') > 0 THEN 'label_wrong'
                                    WHEN SUM(verdict = 'label_ok') > 0 THEN 'label_ok'
                                    WHEN SUM(verdict = 'bad_image') > 0 THEN 'bad_image'
                                    ELSE 'unsure' END AS decision,
                               CASE WHEN SUM(verdict = 'label_wrong') > 0 AND SUM(verdict = 'label_ok') > 0 THEN 'conflict'
                                    WHEN COUNT(*) = 1 THEN 'single'
                                    ELSE 'agreed' END AS status,
                               group_concat(reviewer || '=' || verdict, ', ') AS verdicts
                        FROM (SELECT * FROM reviewer_state WHERE verdict IS NOT NULL ORDER BY item, reviewer)
                        GROUP BY item;
                    """)
            try db.execute(sql: "PRAGMA user_version = 3")
        }
        return migrator
    }
}
