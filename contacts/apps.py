from django.apps import AppConfig


class ContactsConfig(AppConfig):
    """The team's fax contacts book: staff manage it, everyone sends to it."""

    name = "contacts"
    verbose_name = "Contacts"
