"""The configuration every test app starts from; fixtures and worker processes add to it."""

from pathlib import Path


def base_config(tmp_path: Path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "EMAIL_CHANNEL": "outbox",
        "SOCIAL_CHANNEL": "outbox",
        "PUBLIC_BASE_URL": "https://tidings.test",
        "RATELIMIT_ENABLED": False,
    }
