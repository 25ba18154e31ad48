from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from faxes.models import WebhookDelivery
from faxes.services.webhooks import webhook_reprocess

Outcome = WebhookDelivery.Outcome


class Command(BaseCommand):
    help = (
        "Replay stored webhook deliveries that failed (e.g. after a fix) through the same code "
        "path as a live delivery. Deliveries that were applied, duplicate, stale or ignored "
        "are left alone, so replaying is always safe."
    )

    def add_arguments(self, parser: Any) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--all-failed",
            action="store_true",
            help="Replay every failed (or never processed) delivery, oldest first.",
        )
        which.add_argument(
            "--id",
            dest="ids",
            type=int,
            action="append",
            metavar="N",
            help="Replay the delivery with this id (repeatable).",
        )

    def handle(self, *args: Any, all_failed: bool = False, ids: list[int] | None = None, **_):
        if all_failed:
            ids = list(
                WebhookDelivery.objects.filter(outcome__in=[Outcome.FAILED, Outcome.PENDING])
                .order_by("received_at", "id")
                .values_list("id", flat=True)
            )
        still_failed = 0
        for delivery_id in ids or []:
            try:
                before = WebhookDelivery.objects.values_list("outcome", flat=True).get(
                    pk=delivery_id
                )
            except WebhookDelivery.DoesNotExist:
                self.stderr.write(f"delivery {delivery_id}: no such delivery")
                still_failed += 1
                continue
            delivery = webhook_reprocess(delivery_id)
            if before not in (Outcome.FAILED, Outcome.PENDING):
                self.stdout.write(f"delivery {delivery_id}: {before}, left alone")
            elif delivery.body_kind == WebhookDelivery.BodyKind.UNPARSED:
                self.stdout.write(
                    f"delivery {delivery_id}: its body could not be parsed; nothing to replay"
                )
                still_failed += 1
            elif delivery.outcome == Outcome.FAILED:
                self.stdout.write(f"delivery {delivery_id}: failed again: {delivery.error}")
                still_failed += 1
            else:
                self.stdout.write(f"delivery {delivery_id}: {before} -> {delivery.outcome}")
        total = len(ids or [])
        self.stdout.write(f"{total} delivery(ies) looked at, {still_failed} still failed")
        if still_failed:
            raise CommandError(f"{still_failed} delivery(ies) still failed")
