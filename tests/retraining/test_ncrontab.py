"""The NCRONTAB evaluator: parsing, errors, next and previous occurrences."""

from __future__ import annotations

from datetime import datetime

import pytest
from retrain.ncrontab import CronSchedule, CronSyntaxError


def test_daily_at_two_next_and_previous() -> None:
    s = CronSchedule.parse("0 0 2 * * *")
    assert s.next_after(datetime(2026, 11, 22, 1, 59, 59)) == datetime(2026, 11, 22, 2, 0, 0)
    assert s.next_after(datetime(2026, 11, 22, 2, 0, 0)) == datetime(2026, 11, 23, 2, 0, 0)
    assert s.previous_at_or_before(datetime(2026, 11, 22, 2, 0, 0)) == datetime(2026, 11, 22, 2, 0, 0)
    assert s.previous_at_or_before(datetime(2026, 11, 22, 1, 59, 59)) == datetime(2026, 11, 21, 2, 0, 0)


def test_every_five_minutes_with_steps() -> None:
    s = CronSchedule.parse("0 */5 * * * *")
    assert s.minutes == frozenset(range(0, 60, 5))
    assert s.next_after(datetime(2026, 11, 22, 10, 4, 59, 999999)) == datetime(2026, 11, 22, 10, 5, 0)
    assert s.previous_at_or_before(datetime(2026, 11, 22, 10, 4, 59)) == datetime(2026, 11, 22, 10, 0, 0)


def test_names_ranges_lists_and_start_step() -> None:
    s = CronSchedule.parse("30 15/20 9-17 * Jan,jul MON-fri")
    assert s.seconds == {30}
    assert s.minutes == {15, 35, 55}
    assert s.hours == frozenset(range(9, 18))
    assert s.months == {1, 7}
    assert s.weekdays == {1, 2, 3, 4, 5}
    # Saturday 2027-01-02 -> Monday 2027-01-04 09:15:30
    assert s.next_after(datetime(2027, 1, 2, 12, 0, 0)) == datetime(2027, 1, 4, 9, 15, 30)
    # After the last slot of July's last weekday, August is skipped: next is January's first weekday.
    assert s.next_after(datetime(2027, 7, 30, 17, 55, 30)) == datetime(2028, 1, 3, 9, 15, 30)


def test_day_of_month_and_day_of_week_both_must_match() -> None:
    # NCrontab (Azure Functions) ANDs the two day fields: Friday the 13th only.
    s = CronSchedule.parse("0 0 0 13 * Fri")
    assert s.next_after(datetime(2026, 1, 1)) == datetime(2026, 2, 13)
    assert s.next_after(datetime(2026, 2, 13)) == datetime(2026, 3, 13)
    assert s.next_after(datetime(2026, 3, 13)) == datetime(2026, 11, 13)
    assert s.previous_at_or_before(datetime(2026, 11, 12)) == datetime(2026, 3, 13)


def test_leap_day_and_sunday_zero() -> None:
    s = CronSchedule.parse("0 0 12 29 Feb *")
    assert s.next_after(datetime(2026, 3, 1)) == datetime(2028, 2, 29, 12)
    assert s.previous_at_or_before(datetime(2028, 2, 29, 11, 59, 59)) == datetime(2024, 2, 29, 12)
    sunday = CronSchedule.parse("0 0 6 * * 0")
    assert sunday.next_after(datetime(2026, 11, 22, 6, 0, 0)) == datetime(2026, 11, 29, 6)  # 22nd is a Sunday
    assert sunday.matches(datetime(2026, 11, 22, 6))
    assert not sunday.matches(datetime(2026, 11, 23, 6))


def test_year_and_month_boundaries() -> None:
    s = CronSchedule.parse("59 59 23 31 * *")
    assert s.next_after(datetime(2026, 11, 22)) == datetime(2026, 12, 31, 23, 59, 59)
    assert s.next_after(datetime(2026, 12, 31, 23, 59, 59)) == datetime(2027, 1, 31, 23, 59, 59)
    assert s.previous_at_or_before(datetime(2026, 12, 1)) == datetime(2026, 10, 31, 23, 59, 59)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 0 2 * *", "has 5 fields; NCRONTAB needs 6"),
        ("0 0 2 * * * *", "has 7 fields"),
        ("60 0 2 * * *", "second field: 60 is out of range; allowed: 0-59"),
        ("0 0 24 * * *", "hour field: 24 is out of range; allowed: 0-23"),
        ("0 0 0 0 * *", "day field: 0 is out of range; allowed: 1-31"),
        ("0 0 0 * 13 *", "month field: 13 is out of range"),
        ("0 0 0 * * 7", "day-of-week field: 7 is out of range; allowed: 0-6"),
        ("0 0 0 * Foo *", "month field: 'Foo' is not a value; allowed: 1-12 or a name (jan, feb"),
        ("0 */0 * * * *", "minute field: step '0' in '*/0' must be a positive integer"),
        ("0 50-10 * * * *", "minute field: range '50-10' runs backwards"),
        ("0 1,,2 * * * *", "has an empty list item"),
        ("0 0 0 30 Feb *", "never fires"),
        ("0 0 0 31 4,6,9,11 *", "never fires"),
    ],
)
def test_syntax_errors_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(CronSyntaxError) as caught:
        CronSchedule.parse(expression)
    assert message in str(caught.value)


def test_not_a_string() -> None:
    with pytest.raises(CronSyntaxError, match="expected a string, got int"):
        CronSchedule.parse(5)  # type: ignore[arg-type]
