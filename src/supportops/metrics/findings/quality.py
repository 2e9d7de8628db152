"""Detectors about how tickets were answered: speed over quality, copy-paste responses,
over-automation and channel forcing. All four judge the period's resolved tickets."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from supportops.metrics.findings.columns import CHANNELS
from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import MESSAGES, IntArray, Scope, chunks, percent, ranked, rated
from supportops.metrics.findings.text import excerpt, reply_core, reply_key


def _ordered(*keys: npt.NDArray[Any]) -> IntArray:
    """Indexes sorted by the keys, the first key first (``np.lexsort`` takes them the other way)."""
    return np.lexsort(tuple(reversed(keys)))


def _grouped(keys: IntArray, flags: npt.NDArray[Any]) -> dict[int, tuple[int, int]]:
    """{key: (rows, rows flagged)}."""
    found, inverse = np.unique(keys, return_inverse=True)
    n = np.bincount(inverse, minlength=len(found))
    hit = np.bincount(inverse, weights=flags, minlength=len(found))
    return {int(k): (int(a), int(b)) for k, a, b in zip(found, n, hit, strict=True)}


def speed_over_quality(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets solved fast that came back or were rated low, at a rate clearly above the rest."""
    low = scope.min_score() <= t["low_score_max"]
    reopens = scope.column("reopens")
    bad = (reopens > 0) | low
    solve = scope.fact("first_resolved") - scope.column("created")
    fast = solve <= t["fast_minutes"] * 60
    fast_n, fast_bad = int(fast.sum()), int((fast & bad).sum())
    other_n, other_bad = int((~fast).sum()), int((~fast & bad).sum())
    if fast_bad < t["min_tickets"]:
        return None
    fast_rate = fast_bad / fast_n
    other_rate = other_bad / other_n if other_n else 0.0
    if fast_rate <= other_rate or fast_rate < t["rate_ratio"] * other_rate:
        return None
    which = np.flatnonzero(fast & bad)
    ids = scope.ids[which]
    order = _ordered(
        -(low[which].astype(np.int64) + (reopens[which] > 0)), -reopens[which], solve[which], -ids
    )
    assignee = scope.column("assignee_id")
    per_agent = _grouped(assignee[fast], bad[fast])
    names = scope.emails(per_agent)
    concentrated = [
        (names[a], hit, n)
        for a, (n, hit) in per_agent.items()
        if a in names and hit >= t["agent_min_tickets"] and hit / n >= t["rate_ratio"] * other_rate
    ]
    concentrated.sort(key=lambda x: (-x[1], x[0]))
    explanation = (
        f"{fast_bad} of {fast_n} tickets resolved within {t['fast_minutes']:g} min were reopened or "
        f"{rated(t['low_score_max'])} ({percent(fast_rate)}), against {percent(other_rate)} of the "
        f"other {other_n} resolved tickets"
    )
    if concentrated:
        explanation += "; most of them by " + ", ".join(f"{e} ({b})" for e, b, _ in concentrated[:3])
    return Finding(
        pattern="speed_over_quality",
        title=TITLES["speed_over_quality"],
        explanation=explanation + ".",
        tickets=scope.cut(ids[order]),
        count=fast_bad,
        agents=[c[0] for c in concentrated],
        groups=[],
        thresholds=t,
        details=[
            {"agent": email, "fast_tickets": n, "reopened_or_low": hit, "rate": round(hit / n, 4)}
            for email, hit, n in concentrated
        ],
    )


def wilson_lower(hits: int, n: int, z: float = 1.96) -> float:
    """The lower end of the 95% Wilson interval of ``hits / n``: a rate counted cautiously, so that
    2 bad tickets out of 5 do not flag a reply the way 20 out of 50 do."""
    if n == 0:
        return 0.0
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def _bad(scope: Scope, low_score_max: int) -> npt.NDArray[np.bool_]:
    """Per resolved ticket: reopened, or rated low."""
    return (scope.column("reopens") > 0) | (scope.min_score() <= low_score_max)


def _bodies(scope: Scope, message_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for part in chunks(message_ids):
        rows = scope.session.execute(select(MESSAGES.c.id, MESSAGES.c.body).where(MESSAGES.c.id.in_(part)))
        found.update((i, body) for i, body in rows)
    return found


def copy_paste_responses(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """The same reply (greeting, sign-off, case and numbers aside) pasted on many tickets, which then
    came back or were rated low unusually often."""
    f = scope.facts
    at, ok = scope.position(f["reply_ticket"])
    keys = f["reply_key"]
    ok &= f.key_length[keys] >= t["min_chars"]
    if not ok.any():
        return None
    # Each reply key once per ticket: how many tickets it was pasted on, and how many came back.
    pairs = ok & (f["reply_repeat"] == 0)
    bad = _bad(scope, t["low_score_max"])
    n = np.bincount(keys[pairs])
    hits = np.bincount(keys[pairs], weights=bad[at[pairs]], minlength=len(n)).astype(np.int64)
    candidates = np.flatnonzero((n >= t["min_tickets"]) & (hits > 0))
    flagged_keys = [int(k) for k in candidates if wilson_lower(int(hits[k]), int(n[k])) >= t["min_bad_rate"]]
    if not flagged_keys:
        return None
    chosen = ok & np.isin(keys, flagged_keys)
    # The reply each key is shown by: its first in the period, by message id.
    messages = f["reply_message"][chosen]
    by_key = np.lexsort((messages, keys[chosen]))
    leads = by_key[np.r_[True, keys[chosen][by_key][1:] != keys[chosen][by_key][:-1]]]
    first = dict(zip(keys[chosen][leads].tolist(), messages[leads].tolist(), strict=True))
    bodies = _bodies(scope, first.values())
    text = {k: reply_key(bodies[m]) for k, m in first.items()}
    sample = {k: reply_core(bodies[m]) for k, m in first.items()}
    flagged = [(hits[k] / n[k], int(n[k]), k) for k in flagged_keys]
    flagged.sort(key=lambda x: (-x[0], -x[1], text[x[2]]))
    # The tickets that came back, the worst reply's first, each newest first and listed once.
    once = chosen & pairs
    rank = np.zeros(len(n), dtype=np.int64)
    rank[[k for _, _, k in flagged]] = np.arange(len(flagged))
    came_back = np.flatnonzero(once)[bad[at[once]]]
    ticket, place = scope.ids[at[came_back]], rank[keys[came_back]]
    ticket = ticket[np.lexsort((-ticket, place))]
    _, firsts = np.unique(ticket, return_index=True)
    evidence = ticket[np.sort(firsts)].tolist()
    got = len(np.unique(scope.ids[at[once]]))
    authors_of: dict[int, Counter[int]] = defaultdict(Counter)
    pairs_of = keys[chosen] * (int(f["reply_author"].max(initial=0)) + 2) + f["reply_author"][chosen] + 1
    combos, counts = np.unique(pairs_of, return_counts=True)
    width = int(f["reply_author"].max(initial=0)) + 2
    for combo, count in zip(combos.tolist(), counts.tolist(), strict=True):
        authors_of[combo // width][combo % width - 1] += count
    everyone: Counter[int] = sum(authors_of.values(), Counter())
    names = scope.emails(everyone)
    team_rate = int(bad.sum()) / len(scope)
    _, top_n, top = flagged[0]
    replies_n = "1 reply pasted on" if len(flagged) == 1 else f"{len(flagged)} replies pasted on"
    each = "was" if len(flagged) == 1 else "each were"
    explanation = (
        f"{replies_n} {t['min_tickets']} or more tickets {each} followed by a reopen or a "
        f"{rated(t['low_score_max']).removeprefix('rated ')} rating on {len(evidence)} of {got} "
        f"tickets ({percent(len(evidence) / got)}, team {percent(team_rate)}); worst: "
        f"\u201c{excerpt(sample[top], 80)}\u201d ({hits[top]} of {top_n} tickets)."
    )
    return Finding(
        pattern="copy_paste_responses",
        title=TITLES["copy_paste_responses"],
        explanation=explanation,
        tickets=scope.cut(evidence),
        count=len(evidence),
        agents=ranked(everyone, names),
        groups=[],
        thresholds=t,
        details=[
            {
                "reply": excerpt(sample[k], 200),
                "tickets": count,
                "reopened_or_low": int(hits[k]),
                "rate": round(float(rate), 4),
                "agents": ranked(authors_of[k], names),
            }
            for rate, count, k in flagged
        ],
    )


def over_automation(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets solved by automation alone (a public system message, no public human reply) whose
    CSAT or reopen rate trails the human-handled tickets' by more than a margin."""
    replies = scope.column("replies")
    silent = replies == 0
    if int(silent.sum()) < t["min_tickets"]:
        return None
    bots = silent & (scope.fact("system_public") == 1)
    humans = replies > 0
    if int(bots.sum()) < t["min_tickets"] or not humans.any():
        return None
    rated_n, good_n = scope.ratings()
    bot_rated, bot_good = int(rated_n[bots].sum()), int(good_n[bots].sum())
    human_rated, human_good = int(rated_n[humans].sum()), int(good_n[humans].sum())
    reopens = scope.column("reopens")
    bot_count, human_count = int(bots.sum()), int(humans.sum())
    bot_reopened, human_reopened = int((reopens[bots] > 0).sum()), int((reopens[humans] > 0).sum())
    bot_reopen, human_reopen = bot_reopened / bot_count, human_reopened / human_count
    csat_worse = (
        bot_rated >= t["min_ratings"]
        and human_rated > 0
        and bot_good / bot_rated <= human_good / human_rated - t["csat_margin"]
    )
    reopen_worse = bot_reopen >= human_reopen + t["reopen_margin"]
    if not (csat_worse or reopen_worse):
        return None
    which = np.flatnonzero(bots)
    unhappy = scope.min_score()[which] <= 3
    ids = scope.ids[which]
    order = _ordered(-(unhappy.astype(np.int64) + (reopens[which] > 0)), -reopens[which], -ids)
    parts = []
    if bot_rated:
        human_csat = percent(human_good / human_rated) if human_rated else "no ratings"
        parts.append(f"CSAT {percent(bot_good / bot_rated)} against {human_csat}")
    parts.append(f"{percent(bot_reopen)} reopened against {percent(human_reopen)}")
    explanation = (
        f"{bot_count} tickets were resolved by automation alone, with no human reply: "
        f"{' and '.join(parts)} for the {human_count} human-handled tickets."
    )
    return Finding(
        pattern="over_automation",
        title=TITLES["over_automation"],
        explanation=explanation,
        tickets=scope.cut(ids[order]),
        count=bot_count,
        agents=[],
        groups=[],
        thresholds=t,
        details=[
            {
                "handled_by": who,
                "tickets": n,
                "reopened": reopened,
                "ratings": rated_count,
                "csat": round(good / rated_count, 4) if rated_count else None,
            }
            for who, n, reopened, rated_count, good in (
                ("automation", bot_count, bot_reopened, bot_rated, bot_good),
                ("humans", human_count, human_reopened, human_rated, human_good),
            )
        ],
    )


def channel_forcing(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Public agent replies telling the customer to take the matter to another channel. A phrase
    naming the ticket's own channel (an email ticket told to "email us at") is not a switch; the
    greeting and the sign-off (where a signature gives a phone number) are not read."""
    f = scope.texts
    at, ok = scope.position(f["forced_ticket"])
    labels = scope.snapshot.labels.get("channel", [])
    own_of_code = np.array(
        [CHANNELS.index(c) if c in CHANNELS else -1 for c in labels] or [-1], dtype=np.int64
    )
    own = own_of_code[scope.column("channel")[at[ok]]] if ok.any() else np.zeros(0, dtype=np.int64)
    which = np.flatnonzero(ok)[f["forced_channel"][ok] != own]
    # One switch per reply: the first channel, in CHANNELS order, that is not the ticket's own.
    message, channel = f["forced_message"][which], f["forced_channel"][which]
    which = which[_ordered(message, channel)]
    message = f["forced_message"][which]
    which = which[np.r_[True, message[1:] != message[:-1]]] if len(which) else which
    tickets = f["forced_ticket"][which].tolist()
    per_ticket = Counter(tickets)
    if len(per_ticket) < t["min_tickets"]:
        return None
    per_author = Counter(f["forced_author"][which].tolist())
    to_channel = Counter(CHANNELS[c] for c in f["forced_channel"][which].tolist())
    phrases = f.labels["phrase"]
    quotes: dict[int, str] = {}
    for ticket_id, phrase in zip(tickets, f["forced_phrase"][which].tolist(), strict=True):
        quotes.setdefault(ticket_id, phrases[phrase])
    ordered = sorted(per_ticket, key=lambda i: (-per_ticket[i], -i))
    names = scope.emails(per_author)
    where = ", ".join(f"{c} {n}" for c, n in sorted(to_channel.items(), key=lambda x: (-x[1], x[0])))
    explanation = (
        f"{sum(per_ticket.values())} public agent replies on {len(per_ticket)} resolved tickets told the "
        f"customer to switch channel (to {where}), e.g. \u201c{quotes[ordered[0]]}\u201d."
    )
    return Finding(
        pattern="channel_forcing",
        title=TITLES["channel_forcing"],
        explanation=explanation,
        tickets=scope.cut(ordered),
        count=len(per_ticket),
        agents=ranked(per_author, names),
        groups=[],
        thresholds=t,
        details=[
            {"to_channel": c, "replies": n}
            for c, n in sorted(to_channel.items(), key=lambda x: (-x[1], x[0]))
        ],
    )
