"""Marketer pages for articles: import (upload or paste), list, view snippets."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from service.articles.parse import ArticleParseError
from service.articles.store import import_article
from service.extensions import db
from service.models import Article
from service.web.body_limits import body_limit
from service.web.forms import BoundaryForm

blueprint = Blueprint("articles", __name__, url_prefix="/articles")

FORMAT_CHOICES = [
    SelectChoice("", "Detect automatically"),
    SelectChoice("text", "Plain text"),
    SelectChoice("markdown", "Markdown"),
    SelectChoice("html", "HTML"),
]


class ImportForm(BoundaryForm):
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
@body_limit("ARTICLE_UPLOAD_MAX_BYTES")
@login_required
def import_form():
    form = ImportForm()
    if form.validate_on_submit():
        raw, filename = _submitted_text(form)
        if raw is None:
            form.pasted.errors.append("Upload a file or paste the article's text.")
        else:
            try:
                result = import_article(
                    db.session,
                    raw,
                    filename=filename,
                    fmt=form.fmt.data or None,
                    actor=current_user,
                    max_bytes=current_app.config["ARTICLE_MAX_BYTES"],
                )
            except ArticleParseError as error:
                form.pasted.errors.append(str(error))
            else:
                db.session.commit()
                flash(_import_message(result), "success" if result.created else "info")
                return redirect(url_for("articles.show", article_id=result.article.id))
    return render_template("articles/import.html", form=form)


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
