"""Command-line entry points (`flask --app wsgi ...`): thin adapters over the domain modules."""
