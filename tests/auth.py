"""Logging in through the real login form, as flaskr's `AuthActions` does (fixtures `auth` and `as_user`)."""

from service.models import User
from tests.factories import TEST_PASSWORD


class AuthActions:
    """Log a test client in and out.

    Logging in switches the app's CSRF check off, as a client that posts forms without loading them has no token to
    send; a test of CSRF itself switches it back on after logging in.
    """

    def __init__(self, app, client):
        self._app = app
        self._client = client

    def login(self, user: User, password: str = TEST_PASSWORD) -> None:
        self._app.config["WTF_CSRF_ENABLED"] = False
        response = self._client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "login failed"

    def logout(self) -> None:
        self._client.post("/logout")
