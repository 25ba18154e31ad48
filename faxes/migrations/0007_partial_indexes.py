"""Partial indexes, so that a fax received by webhook writes four index pages fewer.

A received fax has no sender and no submission, and is linked to our number at once; its
first event has no user. The indexes that only ever find faxes (events) with those values
now hold only those rows. The two foreign keys' own indexes are dropped by name rather than
through AlterField, which on SQLite rebuilds the table (and would lose 0003's search triggers).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FOREIGN_KEY_INDEXES = {
    "faxes_fax_submission_id_dcc359f0": ("faxes_fax", "submission_id"),
    "faxes_faxevent_user_id_9b68911a": ("faxes_faxevent", "user_id"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("faxes", "0006_sqlite_whole_second_times"),
        ("numbers", "0002_provisioning"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="fax",
            name="fax_sender_created",
        ),
        migrations.RemoveIndex(
            model_name="fax",
            name="fax_faxnumber",
        ),
        migrations.RemoveIndex(
            model_name="fax",
            name="fax_callerid",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in FOREIGN_KEY_INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="fax",
                    name="submission",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="faxes",
                        to="faxes.submission",
                    ),
                ),
                migrations.AlterField(
                    model_name="faxevent",
                    name="user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="fax",
            index=models.Index(
                condition=models.Q(("sent_by__isnull", False)),
                fields=["sent_by", "-created_at", "-id"],
                name="fax_sender_created",
            ),
        ),
        migrations.AddIndex(
            model_name="fax",
            index=models.Index(
                condition=models.Q(("submission__isnull", False)),
                fields=["submission"],
                name="fax_submission",
            ),
        ),
        migrations.AddIndex(
            model_name="fax",
            index=models.Index(
                condition=models.Q(("number", None)),
                fields=["fax_number"],
                name="fax_unlinked_faxnumber",
            ),
        ),
        migrations.AddIndex(
            model_name="fax",
            index=models.Index(
                condition=models.Q(("number", None)),
                fields=["fax_caller_id"],
                name="fax_unlinked_callerid",
            ),
        ),
        migrations.AddIndex(
            model_name="faxevent",
            index=models.Index(
                condition=models.Q(("user__isnull", False)), fields=["user"], name="faxevent_user"
            ),
        ),
    ]
