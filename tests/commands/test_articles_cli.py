"""`flask articles import PATH [--dry-run] [--json]`."""

import json

from sqlalchemy import func, select

from service.models import Article
from tests.factories import SEED_ARTICLE_FILENAME
from tests.paths import ARTICLE_SAMPLES_DIR


def test_json_output_lists_title_and_snippets_without_storing_on_dry_run(runner, db):
    path = ARTICLE_SAMPLES_DIR / SEED_ARTICLE_FILENAME
    result = runner.invoke(args=["articles", "import", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed["title"] == "A visit to the clinic"
    assert len(parsed["snippets"]) >= 15
    assert set(parsed["snippets"][1]) == {"heading", "body"}
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_importing_twice_keeps_one_article(runner, db):
    path = ARTICLE_SAMPLES_DIR / SEED_ARTICLE_FILENAME
    first = runner.invoke(args=["articles", "import", str(path)])
    second = runner.invoke(args=["articles", "import", str(path)])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "already imported" in second.output
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1


def test_an_empty_file_is_a_clear_error(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(args=["articles", "import", str(empty)])
    assert result.exit_code != 0
    assert "empty.txt" in result.output
