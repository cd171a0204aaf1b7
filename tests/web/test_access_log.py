"""The production web process (the Procfile's `web` line, real gunicorn) logs requests without subscribers' link
tokens: a token stands for one subscriber, so a log reader could otherwise change what they receive."""

import re
from pathlib import Path

import requests

from service.web.access_log import without_tokens
from tests.procfile_web import procfile_web

TOKENS = ("Zm9yLXRoZS1sb2c.aGVsbG8.c2lnbmF0dXJl", "MTIz.YWJj.ZGVm", "NDU2.Z2hp.amts")


def test_the_procfile_web_process_logs_routes_but_never_a_subscribers_token(tmp_path: Path):
    env = {
        "TIDINGS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tidings.db'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    with procfile_web(tmp_path, env) as web:
        base = web.base_url
        unsubscribe, preferences, confirm = TOKENS
        requests.get(f"{base}/unsubscribe/{unsubscribe}", timeout=10)
        requests.post(f"{base}/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}, timeout=10)
        requests.get(f"{base}/preferences/{preferences}?saved=1", timeout=10)
        requests.get(f"{base}/confirm/{confirm}", headers={"Referer": f"{base}/confirm/{confirm}"}, timeout=10)

    logged = web.logged()
    assert re.search(r'"GET /unsubscribe/\[token\] HTTP/1\.1" \d{3}', logged), logged
    assert "/preferences/[token]" in logged and "/confirm/[token]" in logged
    for token in TOKENS:
        assert token not in logged


def test_only_the_token_part_of_a_link_is_dropped():
    assert without_tokens("GET /unsubscribe/abc.def HTTP/1.1") == "GET /unsubscribe/[token] HTTP/1.1"
    assert without_tokens("/preferences/abc?saved=1") == "/preferences/[token]?saved=1"
    assert without_tokens("GET /campaigns/12 HTTP/1.1") == "GET /campaigns/12 HTTP/1.1"
