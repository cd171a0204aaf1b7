"""`flask posts preview PATH [--json]`: the posts a text file becomes, each with X's weighted length."""

import json
import re
from pathlib import Path

import pytest

from service import create_app
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from tests.app_config import base_config
from tests.factories import SEED_ARTICLE_FILENAME
from tests.paths import ARTICLE_SAMPLES_DIR

NUMBERING = re.compile(r" (\d+)/(\d+)$")


@pytest.fixture
def cli(tmp_path: Path):
    """A CLI runner; previewing needs no database."""
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}"))
    return app.test_cli_runner()


def preview(cli, path, *options, **kwargs):
    return cli.invoke(args=["posts", "preview", str(path), *options], **kwargs)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "post.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_short_text_is_one_post_as_json(cli, tmp_path):
    result = preview(cli, write(tmp_path, "Spring hours are here.\n"), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"text": "Spring hours are here.", "weighted_length": 22}]


def test_urls_count_23_and_cjk_and_emoji_count_2(cli, tmp_path):
    text = "界界 🧠 https://www.daytryphealth.com/a/rather/long/path/to/an/article?with=query e\u0301"

    result = preview(cli, write(tmp_path, text), "--json")

    [post] = json.loads(result.output)
    # 2 CJK (4) + space + emoji (2) + space + URL (23) + space + e with a combining accent, one character in NFC (1)
    assert post["weighted_length"] == 4 + 1 + 2 + 1 + 23 + 1 + 1 == weighted_length(text)


def test_a_long_text_becomes_a_numbered_thread_that_keeps_every_word_in_order(cli):
    path = ARTICLE_SAMPLES_DIR / SEED_ARTICLE_FILENAME
    text = path.read_text(encoding="utf-8")

    result = preview(cli, path, "--json")

    assert result.exit_code == 0, result.output
    posts = json.loads(result.output)
    assert len(posts) > 1
    for number, post in enumerate(posts, start=1):
        assert post["weighted_length"] == weighted_length(post["text"]) <= MAX_POST_LENGTH
        assert NUMBERING.search(post["text"]).groups() == (str(number), str(len(posts)))
    words = " ".join(NUMBERING.sub("", post["text"]) for post in posts).split()
    assert words == text.split()


def test_the_readable_output_shows_each_post_with_its_count(cli, tmp_path):
    sentence = "Integration sessions help turn insight into lasting change in daily life. "
    result = preview(cli, write(tmp_path, sentence * 8))

    assert result.exit_code == 0, result.output
    assert re.search(r"--- post 1 of 3: \d+/280", result.output)
    assert "3 post(s): a thread of replies." in result.output


def test_standard_input_can_be_previewed(cli):
    result = preview(cli, "-", "--json", input="From stdin.")

    assert json.loads(result.output) == [{"text": "From stdin.", "weighted_length": 11}]


def test_an_empty_file_is_refused(cli, tmp_path):
    result = preview(cli, write(tmp_path, " \n\n"))

    assert result.exit_code == 1
    assert "there is no text to post" in result.output


def test_a_file_that_is_not_utf8_is_refused_with_exit_2(cli, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9".encode("latin-1"))

    result = preview(cli, path)

    assert result.exit_code == 2
    assert "not UTF-8 text" in result.output
