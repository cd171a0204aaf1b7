"""Where the files the tests read live: all inside the repository, except the clinic's own article (optional)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = REPO_ROOT / "tests" / "contracts"
SENDGRID_MAIL_SPEC = CONTRACTS_DIR / "sendgrid" / "tsg_mail_v3.json"
TWITTER_TEXT_CONFORMANCE = CONTRACTS_DIR / "twitter-text" / "validate.yml"
ARTICLE_SAMPLES_DIR = REPO_ROOT / "tests" / "articles" / "samples"

# The clinic's published article may not be copied into the repository. Tests about that very article read it from
# the `shared/` folder a workspace may have beside the clone, and skip when there is none (see the `clinic_article`
# fixtures in tests/conftest.py).
CLINIC_ARTICLE_NAME = "ketamine-and-substance-abuse.txt"
CLINIC_ARTICLE = REPO_ROOT.parent / "shared" / "articles" / CLINIC_ARTICLE_NAME
