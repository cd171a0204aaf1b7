"""Subscriber topics as people read them. The topics themselves are configured (SUBSCRIBER_TOPICS)."""

from collections.abc import Iterable, Sequence

KNOWN_LABELS = {
    "newsletter": "Newsletter: news and articles from the clinic",
    "kap": "Ketamine-assisted psychotherapy (KAP)",
    "events": "Events, talks and groups",
}


def topic_label(topic: str) -> str:
    return KNOWN_LABELS.get(topic, topic.replace("_", " ").replace("-", " ").capitalize())


def topic_choices(topics: Sequence[str]) -> list[tuple[str, str]]:
    return [(topic, topic_label(topic)) for topic in topics]


def unknown_topics(chosen: Iterable[str], known: Sequence[str]) -> list[str]:
    return sorted(set(chosen) - set(known))
