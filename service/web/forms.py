"""The base of every form of ours: the boundary check for control characters and line breaks (see text_input)
runs on every text field, and a problem shows beside its field with what was typed kept."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from service.text_input import normalised_line_breaks, text_problem


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
