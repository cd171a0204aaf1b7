"""Text from outside (a form, a CSV file, a JSON body) is checked here, once, for characters no field may hold.

Control characters (NUL and the rest of C0 and C1) are refused everywhere: PostgreSQL cannot store NUL, and the
others only hide text or break what they end up in. U+2028 and U+2029 are line breaks: in a one-line field
(a subject, a name: they reach email headers) every line break is refused; in a multi-line field they become
ordinary newlines.
"""

import unicodedata

LINE_BREAKS = "\n\r\v\f\x85\u2028\u2029"
MULTILINE_ALLOWED = "\t\n\r"
# U+0085, U+2028 and U+2029 are line breaks a text area may hold; the rest of the world writes them as "\n".
_TO_NEWLINE = str.maketrans({"\x85": "\n", "\u2028": "\n", "\u2029": "\n"})


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with `value` (a message fit to show beside its field), or None."""
    for char in value:
        if char in LINE_BREAKS and not (multiline and char in MULTILINE_ALLOWED + "\x85\u2028\u2029"):
            return "This must be a single line: remove the line break."
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE_ALLOWED):
            return f"Remove the control character (U+{ord(char):04X}) from this text; it cannot be stored."
    return None


def normalised_line_breaks(value: str) -> str:
    """A multi-line value with every line break written as "\\n" (for text that passed `text_problem`)."""
    return value.translate(_TO_NEWLINE)
