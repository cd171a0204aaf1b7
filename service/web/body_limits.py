"""How large a request body may be: MAX_CONTENT_LENGTH for every route, and smaller (or, for uploads, larger)
limits for the routes that declare one with `@body_limit("SETTING")`.

The limit is set on the request before anything reads its body (CSRFProtect's hook reads forms): a declared
Content-Length over it is refused with 413 at once, unread, and a body without one (chunked) is read through
Werkzeug's limited stream, which stops with 413 at the limit.
"""

from collections.abc import Callable

from flask import Flask, abort, current_app, request


def body_limit(setting: str) -> Callable:
    """Limit the view's request body to the number of bytes in the config setting `setting`."""

    def decorator(view: Callable) -> Callable:
        view.body_limit_setting = setting  # read by limit_request_body through the registered view function
        return view

    return decorator


def limit_for_request() -> int:
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "body_limit_setting", "MAX_CONTENT_LENGTH")
    return int(current_app.config[setting])


def limit_request_body() -> None:
    limit = limit_for_request()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def init_app(app: Flask) -> None:
    # First of all before-request hooks, so nothing has read the body with a larger limit.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_request_body)
