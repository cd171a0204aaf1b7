"""Development social channel: each post is written as a JSON file the UI can show."""

import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from service.channels.social.base import PostImage, PublishedPost, SocialChannel


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
