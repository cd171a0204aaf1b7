"""`flask articles import PATH [--dry-run] [--json]`."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from service.articles.parse import ArticleParseError, parse_article
from service.articles.store import import_article
from service.extensions import db

group = AppGroup("articles", help="Import articles and split them into snippets.")


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Parse and show the snippets; store nothing.")
@click.option("--json", "as_json", is_flag=True, help='Print {"title":..., "snippets":[{"heading":..., "body":...}]}.')
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), help="Skip format detection.")
def import_command(path: Path, dry_run: bool, as_json: bool, fmt: str | None) -> None:
    raw = path.read_bytes()
    try:
        parsed = parse_article(raw, filename=path.name, fmt=fmt)
    except ArticleParseError as error:
        raise click.ClickException(f"{path.name}: {error}") from error
    if as_json:
        click.echo(json.dumps(parsed.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{parsed.title} ({parsed.format}, {len(parsed.snippets)} snippets)")
        for number, snippet in enumerate(parsed.snippets, 1):
            click.echo(f"  {number:2}. {snippet.heading}")
    if dry_run:
        return
    result = import_article(db.session, raw, filename=path.name, fmt=fmt)
    db.session.commit()
    if not as_json:
        state = "imported" if result.created else "already imported; nothing duplicated"
        click.echo(f"Article {result.article.id}: {state}.")
