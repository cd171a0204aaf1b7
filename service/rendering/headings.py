"""How a heading leads into the text after it in a post: "Parking: ...", but "Are There Any Side Effects? ..."."""

import re

# A heading already ending in its own punctuation (?, !, :, ., …, ;), perhaps inside closing quotes or brackets.
_ENDS_IN_PUNCTUATION = re.compile(r"[?!:.…;][\"'”’»)\]]*$")


def lead_in(heading: str, followed_by: str = "text") -> str:
    """The heading followed by a colon, unless it already ends in punctuation of its own (never "Effects?:").

    `followed_by`: the text the heading introduces; when there is none (a heading-only snippet) the heading ends
    with a period instead, so "Parking. Read more: <link>" never reads "Parking: Read more:".
    """
    heading = heading.strip()
    if not heading or _ENDS_IN_PUNCTUATION.search(heading):
        return heading
    return f"{heading}:" if str(followed_by).strip() else f"{heading}."
