from django.apps import AppConfig


class NumbersConfig(AppConfig):
    """The account's fax numbers: search, provision, release, assignment.

    The package is `fax_numbers` because a top-level `numbers` package would shadow the
    standard library module (and with it `decimal` and Django); the label stays `numbers`.
    """

    name = "fax_numbers"
    label = "numbers"
    verbose_name = "Fax numbers"
