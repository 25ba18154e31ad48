from django.apps import AppConfig


class NumbersConfig(AppConfig):
    """The account's fax numbers. Not a `numbers` package, which would shadow the standard
    library's (and break `decimal`, and Django); the label stays `numbers`."""

    name = "fax_numbers"
    label = "numbers"
    verbose_name = "Fax numbers"
