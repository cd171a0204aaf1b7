"""The campaign form, and its conversion to and from the domain's CampaignInput."""

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from service.campaigns.editing import CampaignInput
from service.rendering.post import DEFAULT_POST_TEMPLATE, post_templates
from service.web.forms import BoundaryForm

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def post_template_choices() -> list[SelectChoice]:
    return [SelectChoice(t.name, f"{t.label}: {t.description}" if t.description else t.label) for t in post_templates()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScheduleFields(BoundaryForm):
    """A campaign's schedule as entered: the campaign form's, and the live preview's of its planned sends."""

    schedule_kind = RadioField(
        "Schedule",
        choices=[
            SelectChoice("once", "One-off"),
            SelectChoice("drip", "Drip: one snippet every N days"),
            SelectChoice("recurring", "Weekly"),
        ],
        default="once",
    )
    start_date = DateField("First send date", validators=[Optional()])
    send_time = TimeField("Time of day", validators=[Optional()])
    every_days = IntegerField("Every N days (drip)", validators=[Optional(), NumberRange(min=1, max=365)], default=7)
    weekday = SelectField(
        "Weekday (weekly)", choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS)], coerce=int, default=1
    )
    occurrences = IntegerField("How many weeks (weekly)", validators=[Optional(), NumberRange(min=1, max=104)])

    def schedule_values(self) -> dict:
        """The schedule as CampaignInput's keyword arguments; fields of the other kinds are left out."""
        kind = self.schedule_kind.data
        return {
            "schedule_kind": kind,
            "start_date": self.start_date.data,
            "send_time": self.send_time.data,
            "every_days": self.every_days.data if kind == "drip" else None,
            "weekday": self.weekday.data if kind == "recurring" else None,
            "occurrences": self.occurrences.data if kind == "recurring" else None,
        }


class SchedulePreviewForm(ScheduleFields):
    """The query of the live "planned sends" list: the schedule fields, and the snippets a new campaign has ticked
    (their number is its steps) or the campaign being edited. Read-only (GET), so no CSRF token; it is not
    validated as a form: the domain's schedule check gives the messages, the same as saving gives."""

    class Meta:
        csrf = False

    snippet_ids = SelectMultipleField(coerce=int)
    campaign_id = IntegerField(validators=[Optional()])


class CampaignForm(ScheduleFields):
    name = StringField("Campaign name", validators=[DataRequired(message="Give the campaign a name."), Length(max=200)])
    # A new campaign's first content; afterwards the composer edits the campaign's own sections.
    snippet_ids = MultiCheckboxField("Snippets to start with, in order", coerce=int)
    send_email = BooleanField("Email newsletter", default=True)
    send_post = BooleanField("Post on X")
    email_subject = StringField("Email subject", validators=[Length(max=200)])
    topics = MultiCheckboxField("Audience: subscribers of these topics")
    hashtags = StringField("Hashtags for X (optional)", validators=[Length(max=200)])
    link_url = StringField("Link to the whole article (optional)", validators=[Length(max=500)])
    email_layout = RadioField(
        "Email layout",
        choices=[
            SelectChoice("letter", "Letter: one column, text first"),
            SelectChoice("digest", "Digest: a hero image, then a card per section with a teaser and “Read more”"),
        ],
        default="letter",
    )
    post_template = SelectField("Post template for X", choices=post_template_choices, default=DEFAULT_POST_TEMPLATE)
    # Only the send-back form uses this, kept here to share one form class per page.
    comment = TextAreaField("Comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_errors: list[str] = []

    def to_input(self) -> CampaignInput:
        return CampaignInput(
            name=self.name.data or "",
            snippet_ids=list(self.snippet_ids.data or []),
            send_email=bool(self.send_email.data),
            send_post=bool(self.send_post.data),
            email_subject=self.email_subject.data or "",
            topics=list(self.topics.data or []),
            hashtags=self.hashtags.data or "",
            link_url=self.link_url.data or "",
            post_template=self.post_template.data or DEFAULT_POST_TEMPLATE,
            email_layout=self.email_layout.data or "letter",
            **self.schedule_values(),
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message beside its field; "channels" (no field of its own) beside the channels fieldset."""
        for name, message in errors.items():
            if name == "channels":
                self.channel_errors = [*self.channel_errors, message]
                continue
            field = getattr(self, name, None) or self.name
            if message not in field.errors:
                field.errors = [*field.errors, message]
