"""Email notifications about faxes: preferences, team defaults and the outbox."""
