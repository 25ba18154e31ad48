from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Portal users: sign-in, profiles (Drenfax user id, timezone) and demo data."""

    name = "drenfax_portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"
