"""Logging in and out, and pages that need a login."""


def test_marketer_pages_redirect_to_login_when_logged_out(client):
    response = client.get("/campaigns")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_shows_an_error_and_keeps_the_email(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/login", data={"email": marketer.email, "password": "nope"})
    assert response.status_code == 401
    assert b"do not match an account" in response.data
    assert f'value="{marketer.email}"'.encode() in response.data


def test_login_then_logout(client, auth, marketer):
    auth.login(marketer)
    assert client.get("/campaigns").status_code == 200
    auth.logout()
    assert client.get("/campaigns").status_code == 302


def test_forms_refuse_a_post_without_csrf_token(client, marketer):
    response = client.post("/login", data={"email": marketer.email, "password": "correct-horse-battery"})
    assert response.status_code == 400


def test_login_never_redirects_off_site(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(
        "/login?next=https://evil.example/", data={"email": marketer.email, "password": "correct-horse-battery"}
    )
    assert response.headers["Location"] == "/campaigns"
