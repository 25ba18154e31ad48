"""On SQLite, rewrite times stored as "2026-11-01 10:00:00.000000" as Django writes them,
"2026-11-01 10:00:00".

The fast bulk insert (sync pages, demo data) used to write whole seconds with the zeros, and
SQLite compares the text: such a fax fell outside `created_at <= '... 10:00:00'`, so a history
page that ended on it skipped the faxes of the same second. PostgreSQL stores real timestamps
and has nothing to fix.
"""

from django.db import migrations

COLUMNS = {
    "faxes_fax": [
        "created_at",
        "resolved_at",
        "deleted_at",
        "pdf_fetched_at",
        "pdf_claimed_at",
        "pdf_retry_at",
        "last_checked_at",
        "first_seen_at",
        "updated_at",
    ],
    "faxes_faxevent": ["at"],
}


def trim_zero_microseconds(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            schema_editor.execute(
                f'UPDATE "{table}" SET "{column}" = substr("{column}", 1, 19) '  # noqa: S608
                f'WHERE "{column}" LIKE ' + "'%.000000'"
            )


class Migration(migrations.Migration):
    dependencies = [("faxes", "0005_fewer_indexes_to_write")]

    operations = [migrations.RunPython(trim_zero_microseconds, migrations.RunPython.noop)]
