"""The home page: what needs attention now, activity figures and the link's health."""
