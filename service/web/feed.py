"""The blog feed's pages: what the last checks found (and why any failed), and the recipe marketers edit."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from service.articles.feed import latest_check
from service.campaigns.recipes import (
    LAYOUTS,
    MAX_SECTIONS,
    WEEKDAYS,
    RecipeInput,
    RecipeInputError,
    current_recipe,
    describe_recipe,
    new_feed_drafts,
    save_recipe,
)
from service.extensions import db
from service.models import FeedCheck, FeedEntry
from service.models.users import EDITOR_ROLES
from service.subscribers.topics import topic_choices
from service.web.auth import roles_required
from service.web.campaign_forms import MultiCheckboxField, post_template_choices
from service.web.forms import BoundaryForm

blueprint = Blueprint("feed", __name__, url_prefix="/feed")

RECENT_CHECKS = 10
RECENT_ENTRIES = 50


class RecipeForm(BoundaryForm):
    include_intro = BooleanField("The article's introduction")
    section_count = IntegerField(
        "How many sections after it (0: all of them)",
        validators=[InputRequired("Enter a number of sections."), NumberRange(min=0, max=MAX_SECTIONS)],
    )
    send_email = BooleanField("Email newsletter")
    send_post = BooleanField("Post on X")
    layout = SelectField("Email layout", choices=[SelectChoice(name, name.title()) for name in LAYOUTS])
    post_template = SelectField("Post template for X", choices=post_template_choices)
    topics = MultiCheckboxField("Audience: subscribers of these topics")
    send_weekday = SelectField(
        "Proposed send day (the next one after the article arrives)",
        choices=[SelectChoice(index, day) for index, day in enumerate(WEEKDAYS)],
        coerce=int,
    )
    send_time = TimeField("Proposed time (clinic time)", validators=[InputRequired("Enter a time.")])

    def to_input(self) -> RecipeInput:
        return RecipeInput(
            include_intro=bool(self.include_intro.data),
            section_count=self.section_count.data,
            send_email=bool(self.send_email.data),
            send_post=bool(self.send_post.data),
            layout=self.layout.data,
            post_template=self.post_template.data,
            topics=list(self.topics.data or []),
            send_weekday=self.send_weekday.data,
            send_time=self.send_time.data,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            field = getattr(self, name, None) or self.send_email
            field.errors = [*field.errors, message]


@blueprint.get("")
@login_required
def index():
    topics = current_app.config["SUBSCRIBER_TOPICS"]
    checks = db.session.scalars(
        select(FeedCheck).order_by(FeedCheck.checked_at.desc(), FeedCheck.id.desc()).limit(RECENT_CHECKS)
    ).all()
    entries = db.session.scalars(
        select(FeedEntry).order_by(FeedEntry.first_seen_at.desc(), FeedEntry.id.desc()).limit(RECENT_ENTRIES)
    ).all()
    return render_template(
        "feed/index.html",
        feed_url=current_app.config["BLOG_FEED_URL"],
        last_check=latest_check(db.session),
        checks=checks,
        entries=entries,
        drafts=new_feed_drafts(db.session),
        recipe=describe_recipe(current_recipe(db.session, topics)),
    )


@blueprint.route("/recipe", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def recipe():
    topics = current_app.config["SUBSCRIBER_TOPICS"]
    current = current_recipe(db.session, topics)
    form = RecipeForm(obj=current)
    form.topics.choices = topic_choices(topics)
    if form.validate_on_submit():
        try:
            save_recipe(db.session, form.to_input(), current_user, topics)
        except RecipeInputError as error:
            db.session.rollback()
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash("The recipe is saved; the next new article from the blog becomes a draft this way.", "success")
            return redirect(url_for("feed.index"))
    else:
        db.session.commit()  # the default recipe, made on first sight, is kept
    return render_template("feed/recipe.html", form=form)
