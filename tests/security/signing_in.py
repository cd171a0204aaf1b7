"""What the account tests share: signing a client in through the login form, and signing up through the public
form (with its CSRF token, as a browser would)."""

import re

from service.models import User
from tests.factories import TEST_PASSWORD

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(client, user: User, password: str = TEST_PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, "login failed"


def signup_form(client, **fields):
    page = client.get("/subscribe").get_data(as_text=True)
    data = {"email": "", "first_name": "", "topics": ["newsletter"], "website": ""}
    data.update(fields)
    if match := CSRF.search(page):
        data["csrf_token"] = match.group(1)
    return client.post("/subscribe", data=data)
