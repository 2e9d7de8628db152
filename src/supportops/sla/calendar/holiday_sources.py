"""Dated holidays from a country preset or an iCalendar file, to merge with Calendar.with_holidays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import holidays
import icalendar

from supportops.kit.errors import InvalidInput

MAX_YEARS = 100
_PLAIN_YEARLY = {"FREQ", "INTERVAL", "COUNT", "UNTIL"}


def _years(years: Iterable[int]) -> list[int]:
    wanted = sorted(set(years))
    if not wanted:
        raise InvalidInput("give at least one year", field="years")
    if wanted[0] < 1900 or wanted[-1] > 2999 or len(wanted) > MAX_YEARS:
        raise InvalidInput(f"give at most {MAX_YEARS} years between 1900 and 2999", field="years")
    return wanted


def holiday_preset(country: str, subdivision: str | None = None, *, years: Iterable[int]) -> tuple[date, ...]:
    """Public holidays of a country (ISO 3166-1 code) and optionally one of its subdivisions."""
    wanted = _years(years)
    supported = holidays.list_supported_countries()
    code = country.strip().upper()
    if code not in supported:
        raise InvalidInput(
            f"no holiday preset for country {country!r}; use an ISO 3166-1 code such as DE or US",
            field="country",
        )
    if subdivision is not None:
        subdivision = _known_subdivision(code, subdivision, supported[code])
    return tuple(sorted(holidays.country_holidays(code, subdiv=subdivision, years=wanted)))


def _known_subdivision(country: str, subdivision: str, known: list[str]) -> str:
    for name in known:
        if name.casefold() == subdivision.strip().casefold():
            return name
    listed = ", ".join(known) or "none"
    raise InvalidInput(
        f"{country} has no subdivision {subdivision!r}; its subdivisions: {listed}", field="subdivision"
    )


def holidays_from_ical(data: bytes, *, years: Iterable[int] | None = None) -> tuple[date, ...]:
    """Every date covered by the all-day events of an iCalendar file, within ``years`` if given.

    A multi-day event gives each of its dates. A plain yearly RRULE (with INTERVAL, COUNT or UNTIL),
    RDATE and EXDATE are expanded within ``years``, which a repeating event therefore needs; any
    other rule is refused by name rather than guessed. Timed events are skipped: a holiday closes
    a whole date.
    """
    wanted = _years(years) if years is not None else None
    try:
        document = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidInput(f"not an iCalendar file: {exc}", field="ical") from None
    if not isinstance(document, icalendar.Calendar):
        raise InvalidInput(
            f"not an iCalendar file: it holds a {document.name}, not a VCALENDAR", field="ical"
        )
    days: set[date] = set()
    for event in document.events:
        days.update(_event_days(event, wanted))
    if wanted is not None:
        days = {day for day in days if day.year in wanted}
    return tuple(sorted(days))


def _event_days(event: icalendar.Event, wanted: list[int] | None) -> set[date]:
    name = str(event.get("SUMMARY") or event.get("UID") or "without a summary")
    try:
        start, end = event.start, event.end
    except ValueError as exc:
        raise InvalidInput(f"event {name!r}: {exc}", field="ical") from None
    if isinstance(start, datetime):
        return set()
    if isinstance(end, datetime):
        raise InvalidInput(f"event {name!r} starts on a date but ends at a time", field="ical")
    length = max((end - start).days, 1)
    firsts = _occurrences(event, start, wanted, name)
    return {first + timedelta(days=n) for first in firsts for n in range(length)}


def _occurrences(event: icalendar.Event, start: date, wanted: list[int] | None, name: str) -> set[date]:
    rules = event.rrules
    if rules and wanted is None:
        raise InvalidInput(f"event {name!r} repeats; give the years to expand it for", field="years")
    firsts = {start}
    for rule in rules:
        firsts.update(_yearly(rule, start, wanted[-1] if wanted else start.year, name))
    firsts.update(day for day, _ in event.rdates if not isinstance(day, datetime))
    return firsts - {day for day in event.exdates if not isinstance(day, datetime)}


def _yearly(rule: icalendar.vRecur, start: date, last_year: int, name: str) -> list[date]:
    """Occurrences of a plain yearly rule; a 29 February falls only in leap years and, as RFC 5545
    says of impossible dates, is not counted otherwise."""
    if rule.get("FREQ") != ["YEARLY"] or set(rule) - _PLAIN_YEARLY:
        written = ";".join(f"{key}={','.join(map(str, values))}" for key, values in rule.items())
        raise InvalidInput(
            f"event {name!r} repeats by {written}; only plain yearly rules are "
            "expanded, so list its dates as separate events",
            field="ical",
        )
    interval = int(rule.get("INTERVAL", [1])[0])
    count = rule.get("COUNT", [None])[0]
    until = rule.get("UNTIL", [None])[0]
    if isinstance(until, datetime):
        until = until.date()
    found: list[date] = []
    for year in range(start.year, last_year + 1, interval):
        if count is not None and len(found) >= count:
            break
        try:
            day = start.replace(year=year)
        except ValueError:
            continue
        if until is not None and day > until:
            break
        found.append(day)
    return found
