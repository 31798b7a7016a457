"""A small NCRONTAB evaluator: the six-field cron dialect of Azure Functions timer triggers.

Fields, in order: ``second minute hour day month day-of-week``. Each field is ``*`` or a
comma list of items; an item is a value, a range ``a-b``, or either with a step (``*/5``,
``10-50/10``, ``5/15`` meaning ``5-max/15``). Months accept ``Jan``..``Dec`` and days of the week
``Sun``..``Sat`` (0 = Sunday .. 6 = Saturday), case-insensitively. Like NCrontab (and unlike
Vixie cron), a day matches only when both the day-of-month and the day-of-week fields match.

All times are naive UTC ``datetime`` values at one-second resolution. No library that
evaluates NCRONTAB (seconds first) is installed here, and croniter puts seconds last, so
this module does it itself.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CronSchedule", "CronSyntaxError"]

_MONTH_NAMES = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAY_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_SECOND = timedelta(seconds=1)
# Every month/day/day-of-week combination recurs within 28 years (the Gregorian weekday
# cycle for a leap day); 30 bounds every search.
_SEARCH_YEARS = 30


class CronSyntaxError(ValueError):
    """An NCRONTAB expression that cannot be parsed or that can never fire."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_FIELDS = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, _MONTH_NAMES),
    _Field("day-of-week", 0, 6, _DAY_NAMES),
)


def _value(text: str, field: _Field) -> int:
    """One value of a field: a number or, for months and days of the week, a name."""
    key = text.strip().lower()
    if field.names and key in field.names:
        return field.names[key]
    if not key.isdigit():
        allowed = f"{field.low}-{field.high}"
        if field.names:
            allowed += " or a name (" + ", ".join(sorted(field.names, key=field.names.__getitem__)) + ")"
        raise CronSyntaxError(f"{field.name} field: {text!r} is not a value; allowed: {allowed}")
    number = int(key)
    if not field.low <= number <= field.high:
        raise CronSyntaxError(
            f"{field.name} field: {number} is out of range; allowed: {field.low}-{field.high}"
        )
    return number


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    """Parse one field into its set of values."""
    values: set[int] = set()
    if text == "":
        raise CronSyntaxError(f"{field.name} field is empty")
    for item in text.split(","):
        if item == "":
            raise CronSyntaxError(f"{field.name} field {text!r} has an empty list item")
        body, _, step_text = item.partition("/")
        step = 1
        if "/" in item:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronSyntaxError(
                    f"{field.name} field: step {step_text!r} in {item!r} must be a positive integer"
                )
            step = int(step_text)
        if body == "*":
            low, high = field.low, field.high
        elif "-" in body:
            first, _, last = body.partition("-")
            low, high = _value(first, field), _value(last, field)
            if low > high:
                raise CronSyntaxError(f"{field.name} field: range {body!r} runs backwards")
        else:
            low = _value(body, field)
            high = field.high if "/" in item else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed NCRONTAB expression; use :meth:`parse`."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse six space-separated fields; raise :class:`CronSyntaxError` saying what is wrong."""
        if not isinstance(expression, str):
            raise CronSyntaxError(f"expected a string, got {type(expression).__name__}")
        parts = expression.split()
        if len(parts) != 6:
            raise CronSyntaxError(
                f"{expression!r} has {len(parts)} fields; NCRONTAB needs 6: "
                "second minute hour day month day-of-week (e.g. '0 0 2 * * *')"
            )
        parsed = [_parse_field(part, field) for part, field in zip(parts, _FIELDS, strict=True)]
        schedule = cls(expression, *parsed)
        schedule._check_can_fire()
        return schedule

    def _check_can_fire(self) -> None:
        """Reject day/month combinations that never exist (e.g. 30 February)."""
        longest = {month: 29 if month == 2 else calendar.monthrange(2001, month)[1] for month in self.months}
        if not any(day <= longest[month] for month in self.months for day in self.days):
            raise CronSyntaxError(f"{self.expression!r} never fires: no listed month has any listed day")

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python: Monday=0; cron: Sunday=0
        return moment.day in self.days and weekday in self.weekdays

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires at this second."""
        return (
            moment.month in self.months
            and self._day_matches(moment)
            and moment.hour in self.hours
            and moment.minute in self.minutes
            and moment.second in self.seconds
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first firing time strictly after ``moment``."""
        t = moment.replace(microsecond=0) + _SECOND
        limit = t.year + _SEARCH_YEARS
        while t.year <= limit:
            if t.month not in self.months:
                t = _start_of_next_month(t)
            elif not self._day_matches(t):
                t = _start_of_day(t) + timedelta(days=1)
            elif t.hour not in self.hours:
                later = [h for h in self.hours if h > t.hour]
                t = (
                    t.replace(hour=min(later), minute=0, second=0)
                    if later
                    else _start_of_day(t) + timedelta(days=1)
                )
            elif t.minute not in self.minutes:
                later = [m for m in self.minutes if m > t.minute]
                t = (
                    t.replace(minute=min(later), second=0)
                    if later
                    else _start_of_hour(t) + timedelta(hours=1)
                )
            elif t.second not in self.seconds:
                later = [s for s in self.seconds if s > t.second]
                t = t.replace(second=min(later)) if later else _start_of_minute(t) + timedelta(minutes=1)
            else:
                return t
        raise CronSyntaxError(f"{self.expression!r} does not fire within {_SEARCH_YEARS} years")

    def previous_at_or_before(self, moment: datetime) -> datetime:
        """The last firing time at or before ``moment``."""
        t = moment.replace(microsecond=0)
        limit = t.year - _SEARCH_YEARS
        while t.year >= limit:
            if t.month not in self.months:
                t = t.replace(day=1, hour=0, minute=0, second=0) - _SECOND
            elif not self._day_matches(t):
                t = _start_of_day(t) - _SECOND
            elif t.hour not in self.hours:
                earlier = [h for h in self.hours if h < t.hour]
                t = (
                    t.replace(hour=max(earlier), minute=59, second=59)
                    if earlier
                    else _start_of_day(t) - _SECOND
                )
            elif t.minute not in self.minutes:
                earlier = [m for m in self.minutes if m < t.minute]
                t = t.replace(minute=max(earlier), second=59) if earlier else _start_of_hour(t) - _SECOND
            elif t.second not in self.seconds:
                earlier = [s for s in self.seconds if s < t.second]
                t = t.replace(second=max(earlier)) if earlier else _start_of_minute(t) - _SECOND
            else:
                return t
        raise CronSyntaxError(f"{self.expression!r} did not fire within {_SEARCH_YEARS} years")


def _start_of_minute(t: datetime) -> datetime:
    return t.replace(second=0)


def _start_of_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0)


def _start_of_day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0)


def _start_of_next_month(t: datetime) -> datetime:
    if t.month == 12:
        return datetime(t.year + 1, 1, 1)
    return datetime(t.year, t.month + 1, 1)
