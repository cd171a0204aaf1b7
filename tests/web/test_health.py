"""Worker health as people see it: /healthz, `flask worker status`, and the banner on every marketer page."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from service.extensions import db
from service.heartbeat import Liveness, beat, farewell, known_workers
from service.models import WorkerHeartbeat

BANNER = "scheduled sends will not go out"


@pytest.fixture
def liveness(app) -> Liveness:
    return Liveness.from_config(app.config)


@pytest.fixture
def heartbeat(app, liveness):
    """`heartbeat(age)` records a worker last seen `age` ago."""

    def record(age: timedelta, worker_id: str = "web-1:4242:abcdef") -> datetime:
        seen = datetime.now(UTC) - age
        beat(db.session, worker_id, seen, liveness)
        return seen

    return record


def test_alive_means_seen_within_two_poll_intervals_and_rows_go_when_the_lease_is_over(app, liveness):
    poll, lease = app.config["WORKER_POLL_SECONDS"], app.config["WORKER_LEASE_SECONDS"]
    assert liveness == Liveness(timedelta(seconds=2 * poll), timedelta(seconds=lease))


def test_healthz_says_the_worker_is_missing_when_none_was_ever_seen(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "worker": "missing", "worker_last_seen": None}


def test_healthz_reports_a_fresh_heartbeat(client, heartbeat):
    seen = heartbeat(timedelta(seconds=2))

    body = client.get("/healthz").json

    assert body["worker"] == "ok"
    assert datetime.fromisoformat(body["worker_last_seen"]) == seen


def test_healthz_reports_a_stale_heartbeat_as_missing(client, heartbeat, liveness):
    heartbeat(liveness.alive_within + timedelta(seconds=5))

    assert client.get("/healthz").json["worker"] == "missing"


def test_worker_status_names_each_worker_when_alive_and_one_killed_57s_ago_is_stale(runner, heartbeat):
    heartbeat(timedelta(seconds=3), "host-a:100:aaaaaa")
    heartbeat(timedelta(seconds=57), "host-b:200:bbbbbb")

    result = runner.invoke(args=["worker", "status"])

    assert result.exit_code == 0, result.output
    first, *workers = result.output.splitlines()
    assert re.fullmatch(r"worker: alive; last seen [34]s ago; 0 message\(s\) due and waiting", first)
    assert workers[0].split()[:2] == ["host-a:100:aaaaaa", "alive"]
    assert workers[1].split()[:2] == ["host-b:200:bbbbbb", "stale"]
    assert re.search(r"\(5[78]s ago\)", workers[1])


def test_worker_status_forgets_workers_unseen_for_longer_than_the_lease(runner, heartbeat, liveness):
    heartbeat(timedelta(seconds=2), "alive:1:000000")
    seen = datetime.now(UTC) - liveness.forget_after - timedelta(seconds=1)
    db.session.add(WorkerHeartbeat(worker_id="dead:2:000000", hostname="h", pid=2, started_at=seen, last_seen=seen))
    db.session.commit()

    result = runner.invoke(args=["worker", "status"])

    assert "dead:2:000000" not in result.output
    assert db.session.get(WorkerHeartbeat, "dead:2:000000") is None


def test_worker_status_fails_when_no_worker_is_alive(runner, heartbeat):
    heartbeat(timedelta(seconds=30))

    result = runner.invoke(args=["worker", "status"])

    assert result.exit_code == 1
    assert re.match(rf"worker: NOT RUNNING \({BANNER}\); last seen 3[01]s ago", result.output)


def test_worker_status_when_no_worker_was_ever_seen(runner):
    result = runner.invoke(args=["worker", "status"])

    assert result.exit_code == 1
    assert "never seen" in result.output


def test_every_marketer_page_warns_when_the_worker_is_stale(marketer_client, heartbeat, liveness):
    heartbeat(liveness.alive_within + timedelta(seconds=1))

    for path in ("/campaigns", "/articles", "/calendar"):
        assert BANNER in marketer_client.get(path).get_data(as_text=True), path


def test_no_warning_while_the_worker_beats(marketer_client, heartbeat):
    heartbeat(timedelta(seconds=2))

    assert BANNER not in marketer_client.get("/campaigns").get_data(as_text=True)


def test_the_login_page_does_not_show_worker_health(client, heartbeat):
    heartbeat(timedelta(seconds=60))

    assert BANNER not in client.get("/login").get_data(as_text=True)


def test_a_clean_stop_removes_the_heartbeat_and_old_ones_are_forgotten(app, heartbeat, liveness):
    heartbeat(liveness.forget_after + timedelta(minutes=1), "long-gone:1:000000")
    heartbeat(timedelta(seconds=30), "recently-died:2:000000")
    heartbeat(timedelta(seconds=1), "running:3:000000")
    assert [row.worker_id for row in known_workers(db.session)] == ["running:3:000000", "recently-died:2:000000"]

    farewell(db.session, "running:3:000000")

    assert db.session.get(WorkerHeartbeat, "running:3:000000") is None
    assert db.session.get(WorkerHeartbeat, "recently-died:2:000000") is not None
