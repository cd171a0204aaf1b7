"""Subscribers: consent, tokens, audiences, suppressions."""
