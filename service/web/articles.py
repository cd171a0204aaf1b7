"""Marketer pages for articles: import (upload, paste or a page's address), list, view snippets."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from service.articles.fetch import FetchError, FetchPolicy
from service.articles.from_url import import_from_url
from service.articles.parse import ArticleParseError
from service.articles.store import ImportResult, import_article
from service.extensions import db
from service.models import Article

blueprint = Blueprint("articles", __name__, url_prefix="/articles")

FORMAT_CHOICES = [
    SelectChoice("", "Detect automatically"),
    SelectChoice("text", "Plain text"),
    SelectChoice("markdown", "Markdown"),
    SelectChoice("html", "HTML"),
]


class ImportForm(FlaskForm):
    page_url = StringField("Import a page of the clinic's site (its web address)")
    upload = FileField("Upload a file (.txt, .md, .html)")
    filename = StringField("Or name the pasted article (optional, e.g. kap-basics.md)")
    pasted = TextAreaField("Or paste the article")
    fmt = SelectField("Format", choices=FORMAT_CHOICES, default="")


@blueprint.get("")
@login_required
def index():
    articles = db.session.scalars(select(Article).order_by(Article.imported_at.desc())).all()
    return render_template("articles/index.html", articles=articles)


@blueprint.route("/import", methods=["GET", "POST"])
@login_required
def import_form():
    form = ImportForm()
    if form.validate_on_submit():
        result = _import_page(form) if (form.page_url.data or "").strip() else _import_text(form)
        if result is not None:
            db.session.commit()
            flash(_import_message(result), "success" if result.created else "info")
            return redirect(url_for("articles.show", article_id=result.article.id))
        db.session.rollback()
    return render_template("articles/import.html", form=form)


def _import_page(form: ImportForm) -> ImportResult | None:
    policy = FetchPolicy.from_config(current_app.config)
    try:
        return import_from_url(db.session, form.page_url.data, policy, actor=current_user)
    except (FetchError, ArticleParseError) as error:
        form.page_url.errors.append(str(error))
        return None


def _import_text(form: ImportForm) -> ImportResult | None:
    raw, filename = _submitted_text(form)
    if raw is None:
        form.pasted.errors.append(
            "Upload a file or paste the article's text, or give the address of a page of the clinic's site."
        )
        return None
    try:
        return import_article(db.session, raw, filename=filename, fmt=form.fmt.data or None, actor=current_user)
    except ArticleParseError as error:
        form.pasted.errors.append(str(error))
        return None


def _submitted_text(form: ImportForm) -> tuple[bytes | str | None, str | None]:
    upload = form.upload.data
    if upload and getattr(upload, "filename", ""):
        return upload.read(), upload.filename
    if form.pasted.data and form.pasted.data.strip():
        return form.pasted.data, form.filename.data.strip() or None
    return None, None


def _import_message(result) -> str:
    count = len(result.article.snippets)
    if result.created:
        return f"Imported “{result.article.title}”: {count} snippets."
    return f"This article was already imported as “{result.article.title}”; nothing was duplicated."


@blueprint.get("/<int:article_id>")
@login_required
def show(article_id: int):
    article = db.get_or_404(Article, article_id)
    return render_template("articles/show.html", article=article)
