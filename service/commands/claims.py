"""`flask claims check PATH [--json]`: run the claims check on a file's text, as given.
`flask claims seed-library`: add the shipped, citation-checked claims-library entries that are missing.

The text is checked as an email body would be (context "body"); required elements (footer, unsubscribe link and
the rest) are checked on rendered emails by the review step, not here. Offsets count characters of the file's
text exactly as stored (line endings included). A finding whose sentence matches a live claims-library claim
carries it (`library_claim`: its id, version, wording, scope, reference, score and whether the match is exact);
an exact match settles a substantiable finding, a close one is for a reviewer to confirm on the review page.
Exits 1 when any finding blocks (and no exact library match settles it), so scripts and CI can gate on it, and 2
when the file cannot be read as UTF-8 text.
"""

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from service.compliance import check_claims, has_blocking
from service.compliance.library import claim_library, seed_library
from service.extensions import db

group = AppGroup("claims", help="The health-marketing claims check.")


class UnreadableText(click.ClickException):
    # 1 means "a finding blocks"; a file that cannot be checked must not look like that, nor like a pass.
    exit_code = 2


def read_text(path: str) -> str:
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        # Decoded without newline translation, so offsets index the file's own text.
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableText(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help='Print {"findings": [...]} with offsets into the text.')
@click.pass_context
def check_command(ctx: click.Context, path: str, as_json: bool) -> None:
    """Check the claims in PATH ("-" reads standard input). Exits 1 when a finding blocks."""
    text = read_text(path)
    findings = check_claims(text, context="body", library=claim_library(db.session))
    if as_json:
        click.echo(json.dumps({"findings": [finding.to_dict() for finding in findings]}, ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            line, column = line_and_column(text, finding.start)
            click.echo(f"{path}:{line}:{column}: {finding.severity} {finding.rule}: \u201c{finding.text}\u201d")
            if finding.library_claim:
                match = finding.library_claim
                kind = "exact match" if match["exact"] else f"close match ({match['score']}), a reviewer confirms"
                click.echo(f"    library claim {match['claim_id']} v{match['version']}, {kind}: {match['reference']}")
            click.echo(f"    why: {finding.why}")
            click.echo(f"    instead: {finding.suggestion}")
        blocking = sum(finding.severity == "block" for finding in findings)
        click.echo(f"{len(findings)} finding(s): {blocking} block, {len(findings) - blocking} warn.")
    if has_blocking(findings):
        ctx.exit(1)


@group.command("seed-library")
def seed_library_command() -> None:
    """Add the shipped claims-library entries (citations checked) that the library lacks; safe to run again."""
    added = seed_library(db.session)
    db.session.commit()
    for title in added:
        click.echo(f"added: {title}")
    click.echo(f"{len(added)} library claim(s) added.")
