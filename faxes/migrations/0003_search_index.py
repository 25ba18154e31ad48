"""A text index for the history search, in each database's own way.

SQLite: an FTS5 table with the trigram tokenizer over `faxes_fax.search_text`, kept current
by triggers (skipped where the SQLite build has no FTS5; the search then scans). PostgreSQL:
a trigram GIN index (pg_trgm) that serves `LIKE '%...%'` (skipped if the extension cannot
be created by the database user; the search then scans).
"""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE faxes_fax_fts USING fts5(
        search_text, content='faxes_fax', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER faxes_fax_fts_insert AFTER INSERT ON faxes_fax BEGIN
        INSERT INTO faxes_fax_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER faxes_fax_fts_delete AFTER DELETE ON faxes_fax BEGIN
        INSERT INTO faxes_fax_fts(faxes_fax_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER faxes_fax_fts_update AFTER UPDATE OF search_text ON faxes_fax BEGIN
        INSERT INTO faxes_fax_fts(faxes_fax_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO faxes_fax_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO faxes_fax_fts(faxes_fax_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS faxes_fax_fts_update",
    "DROP TRIGGER IF EXISTS faxes_fax_fts_delete",
    "DROP TRIGGER IF EXISTS faxes_fax_fts_insert",
    "DROP TABLE IF EXISTS faxes_fax_fts",
]
PG_CREATE = "CREATE INDEX faxes_fax_search_trgm ON faxes_fax USING gin (search_text gin_trgm_ops)"


def sqlite_has_fts5(cursor) -> bool:
    try:
        cursor.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5(x, tokenize='trigram')")
    except Exception:
        return False
    cursor.execute("DROP TABLE temp._fts5_probe")
    return True


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if sqlite_has_fts5(cursor):
                for statement in SQLITE_CREATE:
                    cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute("SAVEPOINT search_index")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:
                cursor.execute("ROLLBACK TO SAVEPOINT search_index")
                return
            cursor.execute(PG_CREATE)


def drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS faxes_fax_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("faxes", "0002_faxread_stagedfile_fax_fax_dir_status_resolved_and_more")]

    operations = [migrations.RunPython(create, drop)]
