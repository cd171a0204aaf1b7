"""The base of every form of ours: the boundary check for control characters and line breaks (see text_input)
runs on every text field, and a problem shows beside its field with what was typed kept."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from service.text_input import normalised_line_breaks, text_problem


class FormTextError(ValueError):
    """A form value read without a form class failed the boundary check; the message names the field."""


def form_text(name: str, label: str) -> str:
    """A multi-line text value read straight from the posted form (a comment, a reason), checked like a form
    field's: FormTextError("Label: what is wrong") for characters no field may hold."""
    value = request.form.get(name, "")
    problem = text_problem(value, multiline=True)
    if problem:
        raise FormTextError(f"{label}: {problem}")
    return normalised_line_breaks(value)


class BoundaryForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field, StringField) or isinstance(field, PasswordField):
                continue
            if not isinstance(field.data, str):
                continue
            multiline = isinstance(field, TextAreaField)
            problem = text_problem(field.data, multiline=multiline)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
            elif multiline:
                field.data = normalised_line_breaks(field.data)
        return valid
