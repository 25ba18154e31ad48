"""Drop three indexes that cost a page write per new row and serve no query:

- `Fax.number` and `Fax.sent_by`: `fax_number_created` and `fax_sender_created` start with the
  same columns, so they serve the same lookups;
- `WebhookDelivery.message_id`: nothing looks deliveries up by message id.

The indexes are dropped by name rather than through AlterField, which on SQLite rebuilds the
table (and would lose the fax table's search triggers of 0003).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "faxes_fax_number_id_e6f8ceeb": ("faxes_fax", "number_id"),
    "faxes_fax_sent_by_id_4996d01a": ("faxes_fax", "sent_by_id"),
    "faxes_webhookdelivery_message_id_87735451": ("faxes_webhookdelivery", "message_id"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("faxes", "0004_stagedfile_recipient_list"),
        ("numbers", "0002_provisioning"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="fax",
                    name="number",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="faxes",
                        to="numbers.faxnumber",
                    ),
                ),
                migrations.AlterField(
                    model_name="fax",
                    name="sent_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="sent_faxes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="message_id",
                    field=models.UUIDField(blank=True, null=True),
                ),
            ],
        ),
    ]
