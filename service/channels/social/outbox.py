"""Development social channel: each post is written as a JSON file the UI can show."""

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from service.channels.social.base import PostImage, PublishedPost, SocialChannel

# How far back a thread's first posts are looked for when the newest posts begin in the middle of one.
MAX_THREAD_PARTS = 50


@dataclass(frozen=True)
class OutboxPost:
    """One written post, with its place in its thread (part 1 of 1 for a single post)."""

    id: str
    text: str
    created_at: datetime
    images: tuple[dict, ...]
    part: int
    parts: int


@dataclass(frozen=True)
class OutboxThread:
    posts: tuple[OutboxPost, ...]


class OutboxSocialChannel(SocialChannel):
    def __init__(self, outbox_dir: str | Path):
        self.folder = Path(outbox_dir) / "posts"

    def post(self, text: str, *, in_reply_to: str | None = None, images: Sequence[PostImage] = ()) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Time-ordered ids, like X's, so newest-first is a sort by id.
        post_id = f"{time.time_ns()}{uuid.uuid4().int % 1000:03d}"
        record = {
            "id": post_id,
            "text": text,
            "in_reply_to": in_reply_to,
            # The images by name and alt text: the files themselves are in the media library.
            "images": [{"filename": image.filename, "alt_text": image.alt_text} for image in images],
            "created_at": datetime.now(UTC).isoformat(),
        }
        (self.folder / f"{post_id}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
        return post_id

    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        if not self.folder.is_dir():
            return []
        paths = sorted(self.folder.glob("*.json"), reverse=True)[:limit]
        records = [json.loads(path.read_text("utf-8")) for path in paths]
        return [PublishedPost(record["id"], record["text"]) for record in records]

    def threads(self, limit: int = 100) -> list[OutboxThread]:
        """The newest `limit` posts as threads, newest thread first, each in reading order: a post, then its
        replies. A thread begun before the newest posts is completed from its older files."""
        if not self.folder.is_dir():
            return []
        paths = sorted(self.folder.glob("*.json"), reverse=True)[:limit]
        records = {record["id"]: record for record in (json.loads(path.read_text("utf-8")) for path in paths)}
        for record in list(records.values()):
            self._add_parents(record, records)
        return threads_of(list(records.values()))

    def _add_parents(self, record: dict, records: dict[str, dict]) -> None:
        for _ in range(MAX_THREAD_PARTS):
            parent_id = record.get("in_reply_to")
            if not parent_id or parent_id in records:
                return
            path = self.folder / f"{parent_id}.json"
            if "/" in parent_id or not path.is_file():
                return
            record = records[parent_id] = json.loads(path.read_text("utf-8"))


def threads_of(records: list[dict]) -> list[OutboxThread]:
    """Outbox post records grouped into threads by `in_reply_to`, newest thread first, parts in reply order (a
    post answered twice lists both replies, oldest first)."""
    by_id = {record["id"]: record for record in records}
    replies: dict[str, list[dict]] = {}
    for record in records:
        if record.get("in_reply_to") in by_id:
            replies.setdefault(record["in_reply_to"], []).append(record)
    firsts = [record for record in records if record.get("in_reply_to") not in by_id]
    threads = []
    for first in sorted(firsts, key=lambda record: record["id"], reverse=True):
        chain, waiting = [], [first]
        while waiting:
            record = waiting.pop(0)
            chain.append(record)
            waiting[:0] = sorted(replies.get(record["id"], []), key=lambda reply: reply["id"])
        threads.append(OutboxThread(tuple(_post(record, number, len(chain)) for number, record in enumerate(chain, 1))))
    return threads


def _post(record: dict, part: int, parts: int) -> OutboxPost:
    return OutboxPost(
        id=record["id"],
        text=record["text"],
        created_at=datetime.fromisoformat(record["created_at"]),
        images=tuple(record.get("images") or ()),
        part=part,
        parts=parts,
    )
