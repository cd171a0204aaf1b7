"""`flask posts preview PATH [--json]`: the posts on X a text file becomes, each with X's weighted length.

Text that fits in one post (280 weighted characters, counted by the official twitter-text rules) is one post, kept
as written; longer text becomes a numbered thread split at sentence boundaries. Exits 2 when the file cannot be
read as UTF-8 text, 1 when it holds no text.
"""

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from service.rendering.post import measure
from service.rendering.post_length import MAX_POST_LENGTH
from service.rendering.threads import split_into_thread

group = AppGroup("posts", help="Posts on X: see what a text becomes.")


class UnreadableText(click.ClickException):
    exit_code = 2


def read_text(path: str) -> str:
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableText(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error


@group.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help='Print [{"text": ..., "weighted_length": ...}, ...].')
def preview_command(path: str, as_json: bool) -> None:
    """Print the posts the text in PATH becomes ("-" reads standard input)."""
    text = read_text(path).strip()
    if not text:
        raise click.ClickException(f"{path}: there is no text to post")
    posts = measure(split_into_thread(text))
    if as_json:
        click.echo(json.dumps([post.as_dict() for post in posts], ensure_ascii=False, indent=2))
        return
    for number, post in enumerate(posts, start=1):
        click.echo(f"--- post {number} of {len(posts)}: {post.weighted_length}/{MAX_POST_LENGTH}")
        click.echo(post.text)
    click.echo(f"{len(posts)} post(s)" + (": a thread of replies." if len(posts) > 1 else "."))
