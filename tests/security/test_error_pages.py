"""Ids the database cannot hold are a 404, not a 500; the 500 page still renders after a database error."""

import pytest
from sqlalchemy import text

from service.extensions import db

TOO_BIG = (2**31, 2**63, 10**30)


@pytest.mark.parametrize("number", TOO_BIG)
def test_ids_larger_than_the_database_integer_are_not_found(as_role, number):
    client = as_role("admin")
    for url in (
        f"/campaigns/{number}",
        f"/campaigns/{number}/preview/0",
        f"/campaigns/1/preview/{number}",
        f"/articles/{number}",
        f"/subscribers/{number}",
        f"/campaigns/{number}/review",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/subscribers/{number}/erase").status_code == 404
    assert client.post(f"/campaigns/1/batches/{number}/resend").status_code == 404


def test_the_error_page_renders_after_a_database_error(app, as_role):
    """On PostgreSQL a failed statement aborts the transaction: the 500 page's own queries need a rollback first."""

    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = as_role("marketer")
    response = client.get("/broken-for-test")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "Log out" in response.get_data(as_text=True)  # the page's own queries (the user, the banner) worked
