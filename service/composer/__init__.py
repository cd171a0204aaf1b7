"""Composing a campaign's emails: issues made of sections, the campaign's own copies of snippets (no Flask)."""
