"""Portal users: sign-in, profiles (Drenfax user id, timezone) and demo data."""
