"""The local scheduler (infra/scheduler.py): EventBridge schedule expressions, the app's scheduled functions read from
the Chalice app object, and runs on a fake clock (a run that raises does not stop the next ones)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice import Chalice, Cron, Rate

from infra import scheduler
from infra.scheduler import CronSchedule, Job, RateSchedule, ScheduleError, Scheduler, jobs_of, parse

T0 = datetime(2026, 12, 4, 11, 59, 30, tzinfo=UTC)  # a Friday


def test_rates_are_periods_scaled_for_tests() -> None:
    assert parse("rate(1 minute)") == RateSchedule(timedelta(minutes=1))
    assert parse("rate(15 minutes)", scale=0.01) == RateSchedule(timedelta(seconds=9))
    assert parse("rate(2 hours)").next_after(T0) == T0 + timedelta(hours=2)
    assert parse("rate(1 day)").next_after(T0) == T0 + timedelta(days=1)


@pytest.mark.parametrize("bad", ["rate(0 minutes)", "rate(5 weeks)", "rate(minutes)", "every 5 minutes", "cron(0 12 * * ?)"])
def test_malformed_expressions_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse(bad)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("cron(0 12 * * ? *)", T0, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)),
    ("cron(0 12 * * ? *)", datetime(2026, 12, 4, 12, 0, tzinfo=UTC), datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),
    ("cron(15 10 ? * MON-FRI *)", T0, datetime(2026, 12, 7, 10, 15, tzinfo=UTC)),  # Friday noon: next is Monday
    ("cron(0/15 * * * ? *)", T0, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)),
    ("cron(0/15 * * * ? *)", datetime(2026, 12, 4, 12, 0, tzinfo=UTC), datetime(2026, 12, 4, 12, 15, tzinfo=UTC)),
    ("cron(5,35 8-9 1 JAN,JUL ? *)", T0, datetime(2027, 1, 1, 8, 5, tzinfo=UTC)),
    ("cron(0 0 ? * 1 *)", T0, datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),  # EventBridge's 1 is Sunday
    ("cron(0 0 29 FEB ? *)", T0, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ("cron(30 6 * * ? 2027)", T0, datetime(2027, 1, 1, 6, 30, tzinfo=UTC)),
])
def test_cron_expressions_fire_at_their_next_utc_minute(expression: str, after: datetime, expected: datetime) -> None:
    assert parse(expression).next_after(after) == expected


def test_a_cron_in_the_past_never_runs_again() -> None:
    assert parse("cron(0 0 1 1 ? 2020)").next_after(T0) is None


@pytest.mark.parametrize("unsupported", ["cron(0 0 L * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 ? * 6#3 *)",
                                         "cron(0 0 * * * *)", "cron(0 0 ? * ? *)", "cron(61 0 * * ? *)", "cron(0 5-2 * * ? *)"])
def test_what_the_local_scheduler_cannot_run_is_refused_by_name(unsupported: str) -> None:
    with pytest.raises(ScheduleError):
        parse(unsupported)


def test_every_scheduled_function_on_the_app_becomes_a_job_with_its_own_handler() -> None:
    app = Chalice(app_name="t")
    seen: list[Any] = []

    @app.route("/")
    def index() -> dict[str, str]:
        return {}

    @app.lambda_function(name="plain")
    def plain(event: Any, context: Any) -> None:
        return None

    @app.schedule(Rate(5, unit=Rate.MINUTES), name="sweep")
    def sweep(event: Any) -> dict[str, str]:
        seen.append(event)
        return {"swept": event.source}

    @app.schedule(Cron(0, 3, "*", "*", "?", "*"))
    def nightly(event: Any) -> None:
        return None

    @app.schedule("rate(1 hour)", name="hourly")
    def hourly(event: Any) -> None:
        return None

    jobs = {job.name: job for job in jobs_of(app, scale=0.5)}
    assert sorted(jobs) == ["hourly", "nightly", "sweep"]
    assert jobs["sweep"].schedule == RateSchedule(timedelta(minutes=2.5))
    assert jobs["hourly"].schedule == RateSchedule(timedelta(minutes=30))
    assert isinstance(jobs["nightly"].schedule, CronSchedule) and jobs["nightly"].expression == "cron(0 3 * * ? *)"
    runner = Scheduler(jobs.values(), prefix="t-local", region="eu-west-1")
    assert runner.invoke(jobs["sweep"], T0) == {"swept": "aws.events"}
    assert seen[0].to_dict()["detail-type"] == "Scheduled Event" and seen[0].to_dict()["time"] == "2026-12-04T11:59:30Z"


def test_the_apps_own_schedules_are_found() -> None:
    import app as app_module

    found = {job.name: job.schedule for job in jobs_of(app_module.app)}
    assert found["expire_no_shows"] == RateSchedule(timedelta(minutes=15))
    assert found["ledger_cutter"] == RateSchedule(timedelta(minutes=1))


@dataclass
class FakeTime:
    """A clock the scheduler's waits move on; it stops the scheduler once `runs` calls have been made."""

    now: datetime = T0
    runs: int = 6
    calls: list[tuple[str, datetime]] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += timedelta(seconds=seconds)
        return len(self.calls) >= self.runs


def test_runs_come_on_schedule_and_a_failing_run_does_not_stop_the_next(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()

    def flaky(event: dict[str, Any], context: Any) -> str:
        time.calls.append((event["time"], time.now))
        if len(time.calls) == 2:
            raise RuntimeError("DynamoDB is down")
        return "ok"

    job = Job("flaky", "rate(1 minute)", RateSchedule(timedelta(minutes=1)), flaky)
    with caplog.at_level(logging.INFO, logger="scheduler"):
        Scheduler([job], prefix="t-local", region="eu-west-1", clock=time.clock, wait=time.wait).run(job)
    assert [at for _, at in time.calls] == [T0 + timedelta(minutes=n) for n in range(1, 7)]
    assert "flaky failed after" in caplog.text and "RuntimeError: DynamoDB is down" in caplog.text
    assert caplog.text.count("flaky ran in") == 5


def test_runs_missed_while_one_ran_long_are_skipped_not_piled_up(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime(runs=3)

    def slow(event: dict[str, Any], context: Any) -> None:
        time.calls.append((event["time"], time.now))
        time.now += timedelta(minutes=2, seconds=30)  # two and a half periods

    job = Job("slow", "rate(1 minute)", RateSchedule(timedelta(minutes=1)), slow)
    with caplog.at_level(logging.INFO, logger="scheduler"):
        Scheduler([job], prefix="t-local", region="eu-west-1", clock=time.clock, wait=time.wait).run(job)
    assert [at for _, at in time.calls] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=4), T0 + timedelta(minutes=7)]
    assert "2 run(s) skipped" in caplog.text


def test_the_scale_must_shorten_or_keep_the_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULE_SCALE", "0.01")
    assert scheduler.schedule_scale() == 0.01
    for bad in ("0", "2", "fast"):
        monkeypatch.setenv("SCHEDULE_SCALE", bad)
        with pytest.raises(SystemExit):
            scheduler.schedule_scale()
