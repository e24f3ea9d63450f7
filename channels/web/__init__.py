"""The web channel."""
