"""Importing subscribers from a CSV file: all or nothing, with a report of every bad row before anything is stored.

Columns (the first line names them, in any order): email, first_name (optional), topics, consent_date,
consent_source. Topics are separated by spaces, commas, semicolons or bars. A consent date is YYYY-MM-DD (or
M/D/YYYY, or an ISO 8601 date and time), in the clinic's time zone unless it says otherwise.

Two steps, both streaming: `check_file` validates every row and writes nothing to the list (the report a marketer
sees); it can keep the validated rows in a side file, which `import_checked` then writes in chunks inside the
caller's transaction without validating again. `import_file` does both in one pass and refuses (ImportRejected) on
any bad row, so the caller rolls back and nothing is kept. Addresses already on the list are merged (topics added;
a pending signup counts as confirmed by the clinic's consent record). An address that unsubscribed, bounced,
complained or was erased is never brought back: its rows are reported as skipped.
"""

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import audit
from service.models import Subscriber, SubscriberTopic, Suppression, User
from service.subscribers.addresses import AddressError, parse_address
from service.subscribers.bulk import insert_rows
from service.subscribers.identity import email_hash
from service.subscribers.signup import FIRST_NAME_MAX, clean_first_name
from service.subscribers.unsubscribe import LEFT_STATUSES
from service.timezones import local_to_utc

COLUMNS = ("email", "first_name", "topics", "consent_date", "consent_source")
REQUIRED_COLUMNS = ("email", "topics", "consent_date", "consent_source")
CONSENT_SOURCE_MAX = 200
CHUNK_SIZE = 1000
# The report lists this many problems; the counts always cover all of them.
MAX_LISTED = 10_000
SKIPPED_REASON = "unsubscribed, bounced, complained or erased earlier: never imported again"
# A consent date a little ahead of the server's clock is a clock difference, not a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)

_TOPIC_SEPARATORS = re.compile(r"[\s,;|]+")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class ImportContext:
    known_topics: tuple[str, ...]
    hash_key: str
    tz_name: str
    now: datetime

    @classmethod
    def from_config(cls, config: Mapping, now: datetime) -> "ImportContext":
        return cls(
            known_topics=tuple(config["SUBSCRIBER_TOPICS"]),
            hash_key=config["EMAIL_HASH_KEY"],
            tz_name=config["CLINIC_TIMEZONE"],
            now=now,
        )


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0  # data rows read (blank lines are not rows)
    new: int = 0  # addresses not on the list yet
    updated: int = 0  # addresses already on the list: topics merged, pending ones confirmed
    duplicates: int = 0  # more rows for an address seen earlier in the file, merged into it
    error_count: int = 0
    skipped_count: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(RowProblem(line, reason))

    def skip(self, line: int) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(RowProblem(line, SKIPPED_REASON))

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.new} new, {self.updated} already subscribed (merged), "
            f"{self.duplicates} repeated in the file (merged), {self.skipped_count} skipped, {self.error_count} bad"
        )


class ImportRejected(Exception):
    """The file has bad rows; nothing may be stored. `report` lists them."""

    def __init__(self, report: ImportReport):
        super().__init__(f"{report.error_count} bad row(s); nothing was imported")
        self.report = report


@dataclass
class _Row:
    lines: list[int]
    email: str
    hashed: str
    first_name: str
    topics: set[str]
    consent_at: datetime
    consent_note: str
    repeat: bool = False  # the address already appeared in an earlier chunk of the file

    def merge(self, other: "_Row") -> None:
        self.lines.extend(other.lines)
        self.topics |= other.topics
        self.first_name = self.first_name or other.first_name
        if other.consent_at < self.consent_at:
            self.consent_at, self.consent_note = other.consent_at, other.consent_note


def check_file(session: Session, stream: TextIO, ctx: ImportContext, *, keep: TextIO | None = None) -> ImportReport:
    """Read the whole file and report what an import would do; nothing is written to the list.

    With `keep`, the validated rows are written to it for `import_checked` (meaningful only if the report is ok).
    """
    report = ImportReport()
    rows = _read_rows(stream, ctx, report)
    return _process(session, _kept(rows, keep) if keep is not None else rows, ctx, report, write=False)


def import_checked(session: Session, kept: TextIO, ctx: ImportContext, *, actor: User | None) -> ImportReport:
    """Import rows that `check_file` kept, inside the caller's transaction (which the caller commits)."""
    report = ImportReport()
    _process(session, _read_kept(kept, report), ctx, report, write=True)
    return _imported(session, report, actor)


def import_file(session: Session, stream: TextIO, ctx: ImportContext, *, actor: User | None) -> ImportReport:
    """Check and import in one pass, inside the caller's transaction. Raises ImportRejected (the caller rolls back)
    if any row is bad."""
    report = ImportReport()
    _process(session, _read_rows(stream, ctx, report), ctx, report, write=True)
    return _imported(session, report, actor)


def _imported(session: Session, report: ImportReport, actor: User | None) -> ImportReport:
    if not report.ok:
        raise ImportRejected(report)
    audit.record(session, "subscribers:imported", actor=actor, detail=report.summary())
    return report


def _process(
    session: Session, rows: "Iterator[_Row]", ctx: ImportContext, report: ImportReport, *, write: bool
) -> ImportReport:
    seen: set[str] = set()
    chunk: dict[str, _Row] = {}
    for row in rows:
        if row.hashed in chunk:
            chunk[row.hashed].merge(row)
            report.duplicates += 1
            continue
        if row.hashed in seen:
            row.repeat = True
            report.duplicates += 1
        seen.add(row.hashed)
        chunk[row.hashed] = row
        if len(chunk) >= CHUNK_SIZE:
            _apply(session, chunk, ctx, report, write=write and report.ok)
            chunk = {}
    if chunk:
        _apply(session, chunk, ctx, report, write=write and report.ok)
    return report


# --- reading ----------------------------------------------------------------------------------------------


def _column_name(heading: str) -> str:
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def _read_rows(stream: TextIO, ctx: ImportContext, report: ImportReport) -> Iterator[_Row]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        report.error(1, "The file is empty.")
        return
    except (csv.Error, UnicodeDecodeError) as error:
        report.error(1, _unreadable(error))
        return
    names = [_column_name(heading) for heading in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if missing or repeated:
        problem = f"Missing column(s): {', '.join(missing)}." if missing else ""
        problem += f" Repeated column(s): {', '.join(repeated)}." if repeated else ""
        report.error(1, f"{problem.strip()} The first line must name the columns: {', '.join(COLUMNS)}.")
        return
    report.ignored_columns = [heading for heading, name in zip(header, names, strict=True) if name not in COLUMNS]
    index = {name: names.index(name) for name in COLUMNS if name in names}
    last_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as error:
            report.error(last_line + 1, _unreadable(error) + " Nothing after this line was read.")
            return
        line, last_line = last_line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        report.rows += 1
        if len(values) != len(header):
            report.error(line, f"Expected {len(header)} columns, found {len(values)}.")
            continue
        row = _parse_row(values, index, ctx, line)
        if isinstance(row, str):
            report.error(line, row)
        else:
            yield row


def _kept(rows: "Iterator[_Row]", keep: TextIO) -> "Iterator[_Row]":
    writer = csv.writer(keep)
    for row in rows:
        writer.writerow(
            [
                row.lines[0],
                row.email,
                row.hashed,
                row.first_name,
                " ".join(sorted(row.topics)),
                row.consent_at.isoformat(),
                row.consent_note,
            ]
        )
        yield row


def _read_kept(kept: TextIO, report: ImportReport) -> "Iterator[_Row]":
    for line, email, hashed, first_name, topics, consent_at, note in csv.reader(kept):
        report.rows += 1
        yield _Row(
            lines=[int(line)],
            email=email,
            hashed=hashed,
            first_name=first_name,
            topics=set(topics.split()),
            consent_at=datetime.fromisoformat(consent_at),
            consent_note=note,
        )


def _unreadable(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again."
    return f"The file cannot be read as CSV ({error})."


def _parse_row(values: list[str], index: dict[str, int], ctx: ImportContext, line: int) -> "_Row | str":
    problems = []
    address = ""
    try:
        address = parse_address(values[index["email"]])
    except AddressError as error:
        problems.append(f"email: {error}")
    first_name = clean_first_name(values[index["first_name"]]) if "first_name" in index else ""
    if len(first_name) > FIRST_NAME_MAX:
        problems.append(f"first_name: longer than {FIRST_NAME_MAX} characters")
    topics = {topic for topic in _TOPIC_SEPARATORS.split(values[index["topics"]].strip().lower()) if topic}
    unknown = sorted(topics - set(ctx.known_topics))
    if not topics:
        problems.append(f"topics: empty; use one or more of {', '.join(ctx.known_topics)}")
    elif unknown:
        problems.append(f"topics: unknown {', '.join(unknown)} (known: {', '.join(ctx.known_topics)})")
    consent_at, problem = _consent_date(values[index["consent_date"]].strip(), ctx)
    if problem:
        problems.append(f"consent_date: {problem}")
    source = " ".join(values[index["consent_source"]].split())
    if not source:
        problems.append("consent_source: empty; say where and how this person agreed to hear from the clinic")
    elif len(source) > CONSENT_SOURCE_MAX:
        problems.append(f"consent_source: longer than {CONSENT_SOURCE_MAX} characters")
    if problems:
        return "; ".join(problems)
    return _Row(
        lines=[line],
        email=address,
        hashed=email_hash(address, ctx.hash_key),
        first_name=first_name,
        topics=topics,
        consent_at=consent_at,
        consent_note=source,
    )


def _consent_date(text: str, ctx: ImportContext) -> tuple[datetime | None, str | None]:
    if not text:
        return None, "empty; the date this person agreed to hear from the clinic"
    us_date = _US_DATE.match(text)
    try:
        if us_date:
            month, day, year = (int(part) for part in us_date.groups())
            parsed = datetime(year, month, day)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, f"“{text[:40]}” is not a date; use YYYY-MM-DD"
    if parsed.tzinfo is None:
        instant = local_to_utc(parsed.date(), parsed.time(), ctx.tz_name)
    else:
        instant = parsed.astimezone(ctx.now.tzinfo)
    if instant > ctx.now + FUTURE_TOLERANCE:
        return None, "in the future"
    return instant, None


# --- writing ----------------------------------------------------------------------------------------------


def _apply(session: Session, chunk: dict[str, _Row], ctx: ImportContext, report: ImportReport, *, write: bool) -> None:
    hashes = list(chunk)
    suppressed = set(session.scalars(select(Suppression.email_hash).where(Suppression.email_hash.in_(hashes))))
    existing = {
        row.email_hash: row
        for row in session.execute(
            select(Subscriber.id, Subscriber.email_hash, Subscriber.status, Subscriber.first_name).where(
                Subscriber.email_hash.in_(hashes)
            )
        )
    }
    new_rows: list[_Row] = []
    merges: list[tuple[_Row, object]] = []
    for hashed, row in chunk.items():
        current = existing.get(hashed)
        if hashed in suppressed or (current is not None and current.status in LEFT_STATUSES):
            for line in row.lines:
                report.skip(line)
        elif current is None:
            # In a check, an address first seen in an earlier chunk is not in the database: it is no new one.
            if not row.repeat:
                report.new += 1
                new_rows.append(row)
        else:
            if not row.repeat:
                report.updated += 1
            merges.append((row, current))
    if write:
        _write(session, new_rows, merges, ctx)


def _write(session: Session, new_rows: list[_Row], merges: list[tuple[_Row, object]], ctx: ImportContext) -> None:
    topic_rows = []
    if new_rows:
        insert_rows(
            session,
            Subscriber.__table__,
            [
                {
                    "email": row.email,
                    "email_hash": row.hashed,
                    "first_name": row.first_name,
                    "status": "confirmed",
                    "consent_at": row.consent_at,
                    "consent_source": "import",
                    "consent_note": row.consent_note,
                    "confirmed_at": ctx.now,
                    "created_at": ctx.now,
                }
                for row in new_rows
            ],
        )
        ids = dict(
            session.execute(
                select(Subscriber.email_hash, Subscriber.id).where(
                    Subscriber.email_hash.in_([row.hashed for row in new_rows])
                )
            )
            .tuples()
            .all()
        )
        topic_rows += [
            {"subscriber_id": ids[row.hashed], "topic": topic} for row in new_rows for topic in sorted(row.topics)
        ]
    if merges:
        current_ids = [current.id for _, current in merges]
        have = set(
            session.execute(
                select(SubscriberTopic.subscriber_id, SubscriberTopic.topic).where(
                    SubscriberTopic.subscriber_id.in_(current_ids)
                )
            ).tuples()
        )
        topic_rows += [
            {"subscriber_id": current.id, "topic": topic}
            for row, current in merges
            for topic in sorted(row.topics)
            if (current.id, topic) not in have
        ]
        confirmations = [
            {
                "id": current.id,
                "status": "confirmed",
                "consent_at": row.consent_at,
                "consent_source": "import",
                "consent_note": row.consent_note,
                "confirmed_at": ctx.now,
            }
            for row, current in merges
            if current.status == "pending"
        ]
        if confirmations:
            session.execute(update(Subscriber), confirmations)
        names = [
            {"id": current.id, "first_name": row.first_name}
            for row, current in merges
            if row.first_name and not current.first_name
        ]
        if names:
            session.execute(update(Subscriber), names)
    insert_rows(session, SubscriberTopic.__table__, topic_rows)
