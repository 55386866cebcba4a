"""The local EventBridge: runs the Chalice app's `@app.schedule` functions on their schedules.

`chalice local` serves the routes only. On AWS, each scheduled function is a Lambda function that an EventBridge
rule invokes on its Rate or Cron expression; `make run` starts this module as a process of its own, with the same
environment as `chalice local`, so the no-show sweep, the block cutter and any schedule added later run locally too.

The functions are read from the app object (its ScheduledEventConfig event sources), never listed by hand, and each is
called through the handler Chalice registered for it (middleware included) with an EventBridge "Scheduled Event" and
a Lambda context. A run that raises is logged with its traceback and the function runs again at its next time.

Rate schedules may be shortened with SCHEDULE_SCALE (0.01 runs a `rate(15 minutes)` function every 9 s), for tests and
demos; cron schedules fire at their UTC wall-clock times, as on AWS, whatever the scale.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ACCOUNT = "123456789012"  # moto's default account, as infra/apply_local.py
log = logging.getLogger("scheduler")


class ScheduleError(ValueError):
    """A schedule expression this scheduler cannot run (malformed, or an EventBridge feature it does not implement)."""


class Schedule(Protocol):
    def next_after(self, t: datetime) -> datetime | None:
        """The first time strictly after `t` at which the function runs; None if it never runs again."""


# ---------------------------------------------------------------- rate(...)

RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class RateSchedule:
    period: timedelta

    def next_after(self, t: datetime) -> datetime:
        return t + self.period


def parse_rate(text: str, scale: float) -> RateSchedule:
    match = RATE.fullmatch(text)
    if not match or int(match.group(1)) < 1:
        raise ScheduleError(f"{text!r} is not a rate expression such as rate(5 minutes)")
    return RateSchedule(int(match.group(1)) * UNIT[match.group(2).rstrip("s")] * scale)


# ---------------------------------------------------------------- cron(...), EventBridge's six fields, in UTC

MONTHS = {name: n for n, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
WEEKDAYS = {name: n for n, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}  # EventBridge: 1 is Sunday
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (("minutes", 0, 59, {}), ("hours", 0, 23, {}), ("day-of-month", 1, 31, {}), ("month", 1, 12, MONTHS),
          ("day-of-week", 1, 7, WEEKDAYS), ("year", 1970, 2199, {}))
SEARCH_DAYS = 8 * 366  # a schedule that matches nothing in eight years (29 February on a Monday, say) never runs


def _number(text: str, names: dict[str, int], low: int, high: int, field: str) -> int:
    value = names.get(text.upper()) if text.upper() in names else int(text) if text.isdigit() else None
    if value is None or not low <= value <= high:
        raise ScheduleError(f"cron {field}: {text!r} is not a value from {low} to {high}")
    return value


def _item(item: str, field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    if "#" in item or re.fullmatch(r"\d*L|\d+W|LW", item.upper()):
        raise ScheduleError(f"cron {field}: {item!r} uses L, W or #, which the local scheduler does not implement")
    span, _, step_text = item.partition("/")
    step = _number(step_text, {}, 1, high, field) if step_text else 1
    if span in ("*", "?"):
        first, last = low, high
    elif "-" in span:
        first, last = (_number(part, names, low, high, field) for part in span.split("-", 1))
    else:
        first = _number(span, names, low, high, field)
        last = high if step_text else first
    if first > last:
        raise ScheduleError(f"cron {field}: the range {item!r} runs backwards")
    return set(range(first, last + 1, step))


def _field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _item(item, field, low, high, names)
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?", the day of the week decides
    months: frozenset[int]
    weekdays: frozenset[int] | None  # None: "?", the day of the month decides
    years: frozenset[int]

    def _runs_on(self, d: date) -> bool:
        if d.year not in self.years or d.month not in self.months:
            return False
        if self.days is not None:
            return d.day in self.days
        assert self.weekdays is not None
        return (d.weekday() + 1) % 7 + 1 in self.weekdays

    def next_after(self, t: datetime) -> datetime | None:
        start = t.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for offset in range(SEARCH_DAYS):
            d = start.date() + timedelta(days=offset)
            if not self._runs_on(d):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    candidate = datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)
                    if candidate >= start:
                        return candidate
        return None


def parse_cron(text: str) -> CronSchedule:
    match = re.fullmatch(r"cron\((.*)\)", text.strip())
    parts = match.group(1).split() if match else []
    if len(parts) != 6:
        raise ScheduleError(f"{text!r} is not a cron expression with six fields (minutes hours day-of-month month day-of-week year)")
    if (parts[2] == "?") == (parts[4] == "?"):
        raise ScheduleError(f"{text!r}: exactly one of day-of-month and day-of-week must be '?', as EventBridge requires")
    values = [None if part == "?" else _field(part, name, low, high, names) for part, (name, low, high, names) in zip(parts, FIELDS, strict=True)]
    minutes, hours, days, months, weekdays, years = values
    assert minutes is not None and hours is not None and months is not None and years is not None
    return CronSchedule(minutes, hours, days, months, weekdays, years)


def parse(expression: str, scale: float = 1.0) -> Schedule:
    """An EventBridge schedule expression, as Chalice writes it (Rate and Cron objects give these strings)."""
    text = expression.strip()
    if text.startswith("rate("):
        return parse_rate(text, scale)
    if text.startswith("cron("):
        return parse_cron(text)
    raise ScheduleError(f"{expression!r} is neither rate(...) nor cron(...)")


# ---------------------------------------------------------------- the app's scheduled functions

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Job:
    name: str
    expression: str
    schedule: Schedule
    handler: Handler
    timeout_s: int = 60
    memory_mb: int = 128


def expression_text(expression: Any) -> str:
    return expression if isinstance(expression, str) else str(expression.to_string())


def jobs_of(app: Any, scale: float = 1.0, config: Any = None) -> list[Job]:
    """Every `@app.schedule` function registered on the Chalice app, with the handler Chalice wraps it in."""
    from chalice.app import ScheduledEventConfig

    jobs = []
    for source in app.event_sources:
        if not isinstance(source, ScheduledEventConfig):
            continue
        text = expression_text(source.schedule_expression)
        scoped = config.scope(config.chalice_stage, source.name) if config is not None else None
        jobs.append(Job(source.name, text, parse(text, scale), app.handler_map[source.name],
                        int(scoped.lambda_timeout or 60) if scoped else 60, int(scoped.lambda_memory_size or 128) if scoped else 128))
    return jobs


def scheduled_event(rule: str, at: datetime, region: str) -> dict[str, Any]:
    """What EventBridge sends a function its rule invokes."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": LOCAL_ACCOUNT, "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
        "resources": [f"arn:aws:events:{region}:{LOCAL_ACCOUNT}:rule/{rule}"], "detail": {},
    }


# ---------------------------------------------------------------- running them

Clock = Callable[[], datetime]
Wait = Callable[[float], bool]  # sleeps up to the given seconds; True once the scheduler is stopping


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """One thread per scheduled function, as each is its own Lambda function on AWS: a slow sweep never delays the
    cutter. A function's runs do not overlap; runs missed while one ran long are skipped and logged."""

    def __init__(self, jobs: Iterable[Job], *, prefix: str, region: str, clock: Clock = wall_clock, wait: Wait | None = None) -> None:
        self.jobs = list(jobs)
        self.prefix = prefix
        self.region = region
        self.clock = clock
        self.stopping = threading.Event()
        self.wait = wait or self.stopping.wait
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for job in self.jobs:
            thread = threading.Thread(target=self.run, args=(job,), name=f"schedule-{job.name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout_s: float = 4) -> None:
        """Wait a moment for runs in flight (their threads are daemons: the process does not wait for a stuck one)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def run(self, job: Job) -> None:
        due = job.schedule.next_after(self.clock())
        log.info("%s: %s%s, first run at %s", job.name, job.expression, _every(job.schedule), _at(due))
        while due is not None and not self.wait(max(0.0, (due - self.clock()).total_seconds())):
            self.invoke(job, due)
            due = self.next_due(job, due)
        if due is None:
            log.warning("%s: %s has no future run; it will not run again", job.name, job.expression)

    def next_due(self, job: Job, due: datetime) -> datetime | None:
        following = job.schedule.next_after(due)
        now, skipped = self.clock(), 0
        while following is not None and following <= now:
            following, skipped = job.schedule.next_after(following), skipped + 1
        if skipped:
            log.warning("%s: %d run(s) skipped: the last run took longer than the schedule's period", job.name, skipped)
        return following

    def invoke(self, job: Job, due: datetime) -> Any:
        from chalice.local import LambdaContext

        function = f"{self.prefix}-{job.name}"
        context = LambdaContext(function, job.memory_mb, max_runtime_ms=job.timeout_s * 1000)
        started = time.monotonic()
        try:
            result = job.handler(scheduled_event(f"{function}-event", due, self.region), context)
        except Exception:  # a failed run is logged, like a Lambda error, and the schedule goes on
            log.exception("%s failed after %.2f s; it runs again at its next time", job.name, time.monotonic() - started)
            return None
        log.info("%s ran in %.2f s: %s", job.name, time.monotonic() - started, _summary(result))
        return result


def _at(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if t else "never"


def _every(schedule: Schedule) -> str:
    return f" (every {schedule.period.total_seconds():g} s)" if isinstance(schedule, RateSchedule) else ""


def _summary(result: Any, limit: int = 300) -> str:
    text = json.dumps(result, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + "..."


def schedule_scale() -> float:
    raw = os.environ.get("SCHEDULE_SCALE", "").strip() or "1"
    try:
        scale = float(raw)
    except ValueError:
        raise SystemExit(f"SCHEDULE_SCALE must be a number, got {raw!r}") from None
    if not 0 < scale <= 1:
        raise SystemExit("SCHEDULE_SCALE must be above 0 and at most 1 (1: the real schedules)")
    return scale


def load_app(stage: str) -> tuple[Any, Any]:
    """The app as `chalice local --stage <stage>` loads it: .chalice/config.json's environment applied first."""
    from chalice.cli.factory import CLIFactory

    config = CLIFactory(project_dir=str(ROOT), environ=os.environ).create_config_obj(chalice_stage_name=stage)
    return config.chalice_app, config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    for chatty in ("botocore", "pynamodb"):  # their INFO lines (credentials found, ...) would drown the runs
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app, config = load_app(args.stage)
    scheduler = Scheduler(jobs_of(app, schedule_scale(), config), prefix=f"{config.app_name}-{args.stage}",
                          region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler.start()
    while not stop.wait(1):
        pass
    scheduler.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
