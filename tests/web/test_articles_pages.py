"""Importing articles through the web form."""

import io

from sqlalchemy import func, select

from service.models import Article
from tests.factories import SEED_ARTICLE_FILENAME


def test_upload_imports_the_article_and_lists_its_snippets(marketer_client, db, seed_article_text):
    data = {"upload": (io.BytesIO(seed_article_text.encode()), SEED_ARTICLE_FILENAME), "fmt": ""}
    response = marketer_client.post("/articles/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = marketer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "What Should I Bring?" in page
    assert "A visit to the clinic" in page


def test_importing_the_same_text_twice_does_not_duplicate(marketer_client, db):
    text = "# Visiting the clinic\n\n## Parking\n\nThere is parking behind the building.\n"
    for _ in range(2):
        marketer_client.post("/articles/import", data={"pasted": text, "filename": "visit.md", "fmt": ""})
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1


def test_empty_import_shows_an_error_and_stores_nothing(marketer_client, db):
    response = marketer_client.post("/articles/import", data={"pasted": "   ", "fmt": ""})
    assert response.status_code == 200
    assert "Upload a file or paste" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0
