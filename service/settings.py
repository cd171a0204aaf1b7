"""Settings read from the environment (and a local `.env`), checked once at start-up.

Production refuses to start with a missing or invalid required setting; development and tests get safe local
defaults (SQLite under `instance/`, channels writing to the outbox).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.signing_keys import key_list, weak_key_reason

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCE_DIR = REPO_ROOT / "instance"

# The sample address shipped in .env.example: good enough to try the product, never good enough to send.
PLACEHOLDER_POSTAL_ADDRESS = "123 Example Street, Suite 100, Scottsdale, AZ 85250"

EMAIL_CHANNELS = ("outbox", "sendgrid")
SOCIAL_CHANNELS = ("outbox", "x")
KB, MB = 1024, 1024 * 1024
SHARED_LIMIT_STORES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names it and says what is expected."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _origins(value: str | None) -> list[str]:
    return [origin.strip().rstrip("/") for origin in (value or "").split(",") if origin.strip()]


def _hosts(value: str | None) -> list[str]:
    return [host.strip().lower().rstrip(".") for host in (value or "").split(",") if host.strip()]


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL came in."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options(behind_pgbouncer: bool) -> dict:
    options = {"pool_pre_ping": True, "hide_parameters": True}
    if behind_pgbouncer:
        # PgBouncer in transaction mode hands each transaction to any server connection, where a statement psycopg
        # prepared on another one does not exist: prepare none (Tidings keeps no other session state).
        options["connect_args"] = {"prepare_threshold": None}
    return options


def _development_defaults() -> dict:
    return {
        "SECRET_KEY": "dev-only-not-secret",
        # The development SECRET_KEY's value: a development database made before EMAIL_HASH_KEY existed, with the
        # default SECRET_KEY, keeps every hash.
        "EMAIL_HASH_KEY": "dev-only-not-secret",
        "DATABASE_URL": f"sqlite:///{INSTANCE_DIR / 'tidings.db'}",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    }


def load_settings(environ: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment. Raises SettingsError naming the bad setting."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("TIDINGS_ENV", "development")
    if mode not in ("development", "production"):
        raise SettingsError(f"TIDINGS_ENV must be 'development' or 'production', not {mode!r}")
    production = mode == "production"
    defaults = {} if production else _development_defaults()

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else defaults.get(name, default)

    config = {
        "TIDINGS_ENV": mode,
        "SECRET_KEY": get("SECRET_KEY"),
        # Keys SECRET_KEY replaced, oldest first: links and sessions they signed still work for their lifetime.
        "SECRET_KEY_FALLBACKS": key_list(get("SECRET_KEY_FALLBACKS")),
        # Keys the address hashes of subscribers and suppressions; never rotated (a suppression is only its hash).
        "EMAIL_HASH_KEY": get("EMAIL_HASH_KEY"),
        # Cookies: never readable by scripts, not sent on cross-site POSTs, and only over HTTPS in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # A staff session ends after this long without a request, and after this long whatever happens.
        "SESSION_IDLE_HOURS": float(get("SESSION_IDLE_HOURS", "8")),
        "SESSION_MAX_DAYS": float(get("SESSION_MAX_DAYS", "7")),
        # Wrong passwords allowed per account and per client address (Flask-Limiter syntax, shared store).
        "LOGIN_ACCOUNT_RATE_LIMIT": get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": get("LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour"),
        # Admins must sign in with a one-time code as well as their password (always in production).
        "ADMIN_TOTP_REQUIRED": production or _flag(get("ADMIN_TOTP_REQUIRED")),
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(get("DATABASE_URL") or ""),
        "PUBLIC_BASE_URL": (get("PUBLIC_BASE_URL") or "").rstrip("/"),
        "OUTBOX_DIR": get("OUTBOX_DIR", str(INSTANCE_DIR / "outbox")),
        "EMAIL_CHANNEL": get("EMAIL_CHANNEL", "outbox"),
        "SOCIAL_CHANNEL": get("SOCIAL_CHANNEL", "outbox"),
        "MAIL_FROM_ADDRESS": get("MAIL_FROM_ADDRESS", "newsletter@example.org"),
        "MAIL_FROM_NAME": get("MAIL_FROM_NAME", "Daytryp Health"),
        "CLINIC_NAME": get("CLINIC_NAME", "Daytryp Health"),
        "CLINIC_LEGAL_NAME": get("CLINIC_LEGAL_NAME", "Daytryp Health LLC"),
        "CLINIC_POSTAL_ADDRESS": get("CLINIC_POSTAL_ADDRESS", PLACEHOLDER_POSTAL_ADDRESS),
        "CLINIC_TIMEZONE": get("CLINIC_TIMEZONE", "America/Phoenix"),
        "CLINIC_WEBSITE_URL": (get("CLINIC_WEBSITE_URL", "https://www.daytryphealth.com") or "").rstrip("/"),
        "CLINIC_PRIVACY_URL": get("CLINIC_PRIVACY_URL", "https://www.daytryphealth.com/privacy-policy"),
        "SUBSCRIBER_TOPICS": [t.strip() for t in get("SUBSCRIBER_TOPICS", "newsletter,kap,events").split(",")],
        "TRACKING_ENABLED": _flag(get("TRACKING_ENABLED")),
        # Click counting: newsletter links go through Tidings' own redirect, counting per-link totals only.
        "CLICK_COUNTING_ENABLED": _flag(get("CLICK_COUNTING_ENABLED")),
        # Deliverability guardrails (fractions: 0.003 = 0.3%): a send's complaints above the warning rate warn; above
        # the hold rate, or hard bounces above theirs, the next email sends wait for an admin. A list not mailed
        # for DORMANT_LIST_DAYS warns before its next send.
        "COMPLAINT_WARNING_RATE": float(get("COMPLAINT_WARNING_RATE", "0.001")),
        "COMPLAINT_HOLD_RATE": float(get("COMPLAINT_HOLD_RATE", "0.003")),
        "HARD_BOUNCE_HOLD_RATE": float(get("HARD_BOUNCE_HOLD_RATE", "0.05")),
        "DORMANT_LIST_DAYS": int(get("DORMANT_LIST_DAYS", "182")),
        "ALLOW_SELF_APPROVAL": _flag(get("ALLOW_SELF_APPROVAL")),
        "EMAIL_BATCH_SIZE": int(get("EMAIL_BATCH_SIZE", "1000")),
        # A send to at least this many recipients builds its requests in a process beside the worker (see
        # service/worker/batch_encoding.py): ~130 MB and two seconds to start, paid back over many batches.
        "EMAIL_ENCODING_PROCESS_FROM": int(get("EMAIL_ENCODING_PROCESS_FROM", "20000")),
        "WORKER_POLL_SECONDS": float(get("WORKER_POLL_SECONDS", "3")),
        "MISSED_GRACE_HOURS": float(get("MISSED_GRACE_HOURS", "6")),
        "PENDING_SIGNUP_DAYS": float(get("PENDING_SIGNUP_DAYS", "30")),
        "WORKER_LEASE_SECONDS": float(get("WORKER_LEASE_SECONDS", "90")),
        "SENDGRID_API_KEY": get("SENDGRID_API_KEY"),
        "SENDGRID_API_HOST": get("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        "SENDGRID_SANDBOX": _flag(get("SENDGRID_SANDBOX")),
        "SENDGRID_WEBHOOK_PUBLIC_KEY": get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        # Mail Send: seconds to wait for an answer; retries of 429/5xx/unreachable with exponential backoff and
        # jitter (base and cap in seconds; a 429 waits for its rate-limit reset, capped the same way).
        # 20 s: under the worker's 25 s stop timeout, so a stopping worker always records the request in hand.
        "SENDGRID_TIMEOUT_SECONDS": float(get("SENDGRID_TIMEOUT_SECONDS", "20")),
        "SENDGRID_MAX_RETRIES": int(get("SENDGRID_MAX_RETRIES", "4")),
        "SENDGRID_BACKOFF_SECONDS": float(get("SENDGRID_BACKOFF_SECONDS", "1")),
        "SENDGRID_MAX_BACKOFF_SECONDS": float(get("SENDGRID_MAX_BACKOFF_SECONDS", "60")),
        # Hand-over (SendGrid's scheduled sends): how long before its send time a message is given to SendGrid, and
        # SendGrid's own numbers (the cancel margin, the horizon of send_at, batches cancelled at once). 0: off.
        "SENDGRID_SCHEDULE_LEAD_MINUTES": float(get("SENDGRID_SCHEDULE_LEAD_MINUTES", "20")),
        "SENDGRID_CANCEL_MARGIN_SECONDS": float(get("SENDGRID_CANCEL_MARGIN_SECONDS", "600")),
        "SENDGRID_SCHEDULE_HORIZON_HOURS": float(get("SENDGRID_SCHEDULE_HORIZON_HOURS", "72")),
        "SENDGRID_MAX_CANCELLED_BATCHES": int(get("SENDGRID_MAX_CANCELLED_BATCHES", "10")),
        # Signed event webhook: requests whose timestamp is further than this from now are refused (replays).
        "SENDGRID_WEBHOOK_MAX_AGE_SECONDS": int(get("SENDGRID_WEBHOOK_MAX_AGE_SECONDS", "300")),
        "X_CONSUMER_KEY": get("X_CONSUMER_KEY"),
        "X_CONSUMER_SECRET": get("X_CONSUMER_SECRET"),
        "X_ACCESS_TOKEN": get("X_ACCESS_TOKEN"),
        "X_ACCESS_TOKEN_SECRET": get("X_ACCESS_TOKEN_SECRET"),
        "X_API_BASE": get("X_API_BASE"),
        "X_TIMEOUT_SECONDS": float(get("X_TIMEOUT_SECONDS", "20")),
        # How the clinic's account looks in post previews (the posts themselves are made by the X_* keys' account).
        "X_DISPLAY_NAME": get("X_DISPLAY_NAME") or get("CLINIC_NAME", "Daytryp Health"),
        "X_HANDLE": (get("X_HANDLE", "daytryphealth") or "").lstrip("@"),
        "X_AVATAR_URL": get("X_AVATAR_URL", ""),
        "X_MAX_RETRIES": int(get("X_MAX_RETRIES", "3")),
        "X_BACKOFF_SECONDS": float(get("X_BACKOFF_SECONDS", "1")),
        # hide_parameters: a database error's message never carries a subscriber's address into a log.
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(_flag(get("DATABASE_BEHIND_PGBOUNCER"))),
        # Subscribers: confirmation links expire; signups are rate-limited per client address; the JSON signup
        # endpoint answers browsers only from these origins (comma-separated, e.g. https://www.example.org).
        "CONFIRM_TOKEN_MAX_AGE_DAYS": float(get("CONFIRM_TOKEN_MAX_AGE_DAYS", "7")),
        "SIGNUP_RATE_LIMIT": get("SIGNUP_RATE_LIMIT", "5 per minute;30 per hour"),
        "SIGNUP_CORS_ORIGINS": _origins(get("SIGNUP_CORS_ORIGINS", "")),
        # The welcome email's switch until a marketer changes it on the Welcome email page.
        "WELCOME_EMAIL_ENABLED": _flag(get("WELCOME_EMAIL_ENABLED"), default=True),
        # Uploaded subscriber CSVs wait here between "check" and "confirm import"; they are deleted afterwards.
        "SUBSCRIBER_IMPORT_DIR": get("SUBSCRIBER_IMPORT_DIR", str(INSTANCE_DIR / "imports")),
        # The media library's files (named by their content's hash), and where readers fetch them: the app's own
        # /media under PUBLIC_BASE_URL unless MEDIA_BASE_URL points at a CDN or bucket holding the same files.
        "MEDIA_DIR": get("MEDIA_DIR", str(INSTANCE_DIR / "media")),
        "MEDIA_BASE_URL": (get("MEDIA_BASE_URL") or "").rstrip("/") or None,
        # Where rate-limit counters live. memory:// counts per process: development only. Production (gunicorn runs
        # several workers) needs one shared store, redis://host:6379 (the redis package is installed).
        "RATELIMIT_STORAGE_URI": get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": get("RATELIMIT_KEY_PREFIX", "tidings"),
        # Request bodies, in bytes: every route (MAX_CONTENT_LENGTH; a form's text fields together at most
        # MAX_FORM_MEMORY_SIZE), and the routes with their own limit. Larger requests get 413 before being read.
        "MAX_CONTENT_LENGTH": int(get("MAX_CONTENT_LENGTH", str(2 * MB))),
        "MAX_FORM_MEMORY_SIZE": int(get("MAX_FORM_MEMORY_SIZE", str(2 * MB))),
        "WEBHOOK_MAX_BYTES": int(get("WEBHOOK_MAX_BYTES", str(5 * MB))),
        "SIGNUP_JSON_MAX_BYTES": int(get("SIGNUP_JSON_MAX_BYTES", str(16 * KB))),
        "SUBSCRIBER_IMPORT_MAX_BYTES": int(get("SUBSCRIBER_IMPORT_MAX_BYTES", str(100 * MB))),
        # A CSV file larger than this is checked and imported by the worker (a progress bar shows on its page).
        "SUBSCRIBER_IMPORT_INLINE_MAX_BYTES": int(get("SUBSCRIBER_IMPORT_INLINE_MAX_BYTES", str(2 * MB))),
        "ARTICLE_UPLOAD_MAX_BYTES": int(get("ARTICLE_UPLOAD_MAX_BYTES", str(4 * MB))),
        # An image upload's whole request: above the media library's 10 MB per image, so a slightly larger file is
        # read far enough to be refused with the library's own words.
        "MEDIA_UPLOAD_MAX_BYTES": int(get("MEDIA_UPLOAD_MAX_BYTES", str(12 * MB))),
        # An article longer than this is refused with a message: previews and the claims check must stay quick.
        "ARTICLE_MAX_BYTES": int(get("ARTICLE_MAX_BYTES", str(1 * MB))),
        # How many proxies (load balancer, platform router) stand in front of the web process. Their
        # X-Forwarded-For/-Proto/-Host are believed, so rate limits count the real client; 0 believes none.
        "TRUSTED_PROXIES": int(get("TRUSTED_PROXIES", "0")),
        # The clinic's blog: its RSS or Atom feed (empty: the worker checks no feed), and the only hosts Tidings
        # fetches pages from (import by URL, the feed's items), by default the clinic's own site.
        "BLOG_FEED_URL": get("BLOG_FEED_URL", ""),
        "BLOG_ALLOWED_HOSTS": _hosts(get("BLOG_ALLOWED_HOSTS")),
        # Fetching pages from loopback, private or link-local addresses: only tests serving pages from 127.0.0.1
        # turn this on; production refuses to start with it.
        "BLOG_ALLOW_PRIVATE_ADDRESSES": _flag(get("BLOG_ALLOW_PRIVATE_ADDRESSES")),
        "BLOG_FETCH_TIMEOUT_SECONDS": float(get("BLOG_FETCH_TIMEOUT_SECONDS", "10")),
        "BLOG_MAX_BYTES": int(get("BLOG_MAX_BYTES", str(5 * 1024 * 1024))),
    }
    if not config["BLOG_ALLOWED_HOSTS"]:
        config["BLOG_ALLOWED_HOSTS"] = _hosts(urlsplit(config["CLINIC_WEBSITE_URL"]).hostname)
    validate(config)
    return config


def _require(config: Mapping, name: str, why: str) -> None:
    if not config.get(name):
        raise SettingsError(f"{name} is required {why}")


def _require_strong_keys(config: Mapping) -> None:
    named = [("SECRET_KEY", config["SECRET_KEY"]), ("EMAIL_HASH_KEY", config["EMAIL_HASH_KEY"])]
    named += [("SECRET_KEY_FALLBACKS", key) for key in config.get("SECRET_KEY_FALLBACKS", ())]
    for name, key in named:
        if reason := weak_key_reason(key):
            raise SettingsError(f"{name} {reason}: use `flask secrets generate` for a new one")


def validate(config: Mapping) -> None:
    """Check a complete config mapping. Production needs real secrets and real channels' credentials."""
    if config["EMAIL_CHANNEL"] not in EMAIL_CHANNELS:
        raise SettingsError(f"EMAIL_CHANNEL must be one of {', '.join(EMAIL_CHANNELS)}")
    if config["SOCIAL_CHANNEL"] not in SOCIAL_CHANNELS:
        raise SettingsError(f"SOCIAL_CHANNEL must be one of {', '.join(SOCIAL_CHANNELS)}")
    try:
        ZoneInfo(config["CLINIC_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(f"CLINIC_TIMEZONE {config['CLINIC_TIMEZONE']!r} is not a known IANA time zone") from error
    if config["EMAIL_CHANNEL"] == "sendgrid":
        _require(config, "SENDGRID_API_KEY", "when EMAIL_CHANNEL=sendgrid")
    lead_seconds = float(config.get("SENDGRID_SCHEDULE_LEAD_MINUTES") or 0) * 60
    if lead_seconds >= float(config.get("SENDGRID_SCHEDULE_HORIZON_HOURS", 72)) * 3600:
        raise SettingsError("SENDGRID_SCHEDULE_LEAD_MINUTES must be shorter than SENDGRID_SCHEDULE_HORIZON_HOURS")
    if config["SOCIAL_CHANNEL"] == "x":
        for name in ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
            _require(config, name, "when SOCIAL_CHANNEL=x")
    media_base = config.get("MEDIA_BASE_URL")
    if media_base and not media_base.startswith(("https://", "http://")):
        raise SettingsError("MEDIA_BASE_URL must be an http(s):// address (or empty: the app serves /media itself)")
    _validate_blog(config)
    if config["TIDINGS_ENV"] != "production":
        return
    if media_base and not media_base.startswith("https://"):
        raise SettingsError("MEDIA_BASE_URL must be an https:// URL in production (emails load images from it)")
    for name, why in (
        ("SECRET_KEY", "in production (a long random string)"),
        ("SQLALCHEMY_DATABASE_URI", "in production (DATABASE_URL, a PostgreSQL URL)"),
        ("PUBLIC_BASE_URL", "in production (the https:// address subscribers' links point to)"),
    ):
        _require(config, name, why)
    _require(config, "EMAIL_HASH_KEY", "in production (a long random string, never changed afterwards)")
    _require_strong_keys(config)
    if not str(config.get("RATELIMIT_STORAGE_URI") or "").startswith(SHARED_LIMIT_STORES):
        raise SettingsError(
            "RATELIMIT_STORAGE_URI must be a shared store in production, e.g. redis://127.0.0.1:6379: the web "
            "process runs several workers, and per-process counters would let each of them allow the limit"
        )
    if not config["PUBLIC_BASE_URL"].startswith("https://"):
        raise SettingsError("PUBLIC_BASE_URL must be an https:// URL in production (List-Unsubscribe needs HTTPS)")
    if config.get("BLOG_ALLOW_PRIVATE_ADDRESSES"):
        raise SettingsError("BLOG_ALLOW_PRIVATE_ADDRESSES must be off in production (it opens the internal network)")
    if float(config["SENDGRID_TIMEOUT_SECONDS"]) >= float(config["WORKER_LEASE_SECONDS"]) / 2:
        # A worker waits between SendGrid tries for at most half its lease; the last try's timeout comes on top, and
        # a batch must end before the lease does, or another worker would take the message over mid-batch.
        raise SettingsError("SENDGRID_TIMEOUT_SECONDS must be under half of WORKER_LEASE_SECONDS in production")


def _validate_blog(config: Mapping) -> None:
    feed_url = config.get("BLOG_FEED_URL") or ""
    if not feed_url:
        return
    parts = urlsplit(feed_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError("BLOG_FEED_URL must be an http:// or https:// address")
    if parts.hostname.lower() not in config.get("BLOG_ALLOWED_HOSTS", []):
        raise SettingsError(f"BLOG_FEED_URL's host {parts.hostname!r} must be one of BLOG_ALLOWED_HOSTS")
