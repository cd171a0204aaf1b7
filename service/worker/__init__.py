"""The worker process: APScheduler is the clock, the database is the truth."""
