"""The security headers every response carries, set in one `after_request` hook.

A hook rather than Flask-Talisman: our policy is one fixed set of headers with two variations (email bodies shown
in our own preview frames, and token pages that must not leak their URL), which is a dozen lines here; Talisman
would add HTTPS redirects and cookie settings that ProxyFix and the session code already own, and a dependency to
keep up with for the same headers.
"""

from flask import Flask, Response, current_app

# Pages: our own scripts, styles and images only; no inline script, no plugins, no framing by anyone.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# An email body (campaign preview, outbox) shown in a sandboxed frame of our own pages: its inline styles and
# remote images are how emails are written, but no script runs and nobody else may frame it.
EMBEDDED_EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def embedded_email_headers() -> dict[str, str]:
    """Headers for a response that is an email body shown inside one of our pages' frames."""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": EMBEDDED_EMAIL_POLICY,
        "X-Frame-Options": "SAMEORIGIN",
    }


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    # Pages reached by a token (public.py) set no-referrer; staff pages may tell our own site where a click came from.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("TIDINGS_ENV") == "production":
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
