"""Detectors about how tickets were answered: speed over quality, copy-paste responses,
over-automation and channel forcing. All four judge the period's resolved tickets."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import MESSAGES, Scope, chunks, percent, ranked, rated
from supportops.metrics.findings.text import PhraseMatcher, any_of, excerpt, reply_core, reply_key
from supportops.tickets.enums import AuthorKind


def speed_over_quality(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets solved fast that came back or were rated low, at a rate clearly above the rest."""
    low = scope.low_rated(t["low_score_max"])
    limit = t["fast_minutes"] * 60
    fast_n = fast_bad = other_n = other_bad = 0
    per_agent: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    bad_fast = []
    for r in scope.tickets():
        bad = r.reopens > 0 or r.id in low
        if r.solve_seconds is not None and r.solve_seconds <= limit:
            fast_n += 1
            fast_bad += bad
            per_agent[r.assignee][0] += 1
            per_agent[r.assignee][1] += bad
            if bad:
                bad_fast.append(r)
        else:
            other_n += 1
            other_bad += bad
    if fast_bad < t["min_tickets"]:
        return None
    fast_rate = fast_bad / fast_n
    other_rate = other_bad / other_n if other_n else 0.0
    if fast_rate <= other_rate or fast_rate < t["rate_ratio"] * other_rate:
        return None
    bad_fast.sort(key=lambda r: (-((r.id in low) + (r.reopens > 0)), -r.reopens, r.solve_seconds, -r.id))
    names = scope.emails(per_agent)
    concentrated = [
        (names[a], bad, n)
        for a, (n, bad) in per_agent.items()
        if a in names and bad >= t["agent_min_tickets"] and bad / n >= t["rate_ratio"] * other_rate
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
        tickets=scope.cut([r.id for r in bad_fast]),
        count=fast_bad,
        agents=[c[0] for c in concentrated],
        groups=[],
        thresholds=t,
        details=[
            {"agent": email, "fast_tickets": n, "reopened_or_low": bad, "rate": round(bad / n, 4)}
            for email, bad, n in concentrated
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


def copy_paste_responses(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """The same reply (greeting, sign-off, case and numbers aside) pasted on many tickets, which then
    came back or were rated low unusually often."""
    tickets_of: dict[str, set[int]] = defaultdict(set)
    first: dict[str, int] = {}
    replies = scope.agent_replies()
    for i, key in enumerate(scope.reply_keys()):
        if len(key) >= t["min_chars"]:
            tickets_of[key].add(replies[i].ticket_id)
            first.setdefault(key, i)
    pasted = {k: ids for k, ids in tickets_of.items() if len(ids) >= t["min_tickets"]}
    if not pasted:
        return None
    resolved = scope.tickets()
    bad = {r.id for r in resolved if r.reopens > 0} | scope.low_rated(t["low_score_max"])
    flagged = []
    for key, ids in pasted.items():
        hit = ids & bad
        if hit and wilson_lower(len(hit), len(ids)) >= t["min_bad_rate"]:
            flagged.append((len(hit) / len(ids), len(ids), key, hit))
    if not flagged:
        return None
    flagged.sort(key=lambda f: (-f[0], -f[1], f[2]))
    keys = {f[2] for f in flagged}
    authors: dict[str, Counter[int | None]] = defaultdict(Counter)
    for reply, key in zip(replies, scope.reply_keys(), strict=True):
        if key in keys:
            authors[key][reply.author_id] += 1
    evidence: list[int] = []
    for _, _, _, hit in flagged:
        evidence.extend(sorted(hit - set(evidence), reverse=True))
    got: set[int] = set().union(*(pasted[k] for k in keys))
    everyone: Counter[int | None] = sum(authors.values(), Counter())
    names = scope.emails(everyone)
    team_rate = len(bad) / len(resolved)
    _, n, key, hit = flagged[0]
    sample = {k: reply_core(replies[first[k]].body) for k in keys}
    replies_n = "1 reply pasted on" if len(flagged) == 1 else f"{len(flagged)} replies pasted on"
    each = "was" if len(flagged) == 1 else "each were"
    explanation = (
        f"{replies_n} {t['min_tickets']} or more tickets {each} followed by a reopen or a "
        f"{rated(t['low_score_max']).removeprefix('rated ')} rating on {len(evidence)} of {len(got)} "
        f"tickets ({percent(len(evidence) / len(got))}, team {percent(team_rate)}); worst: "
        f"\u201c{excerpt(sample[key], 80)}\u201d ({len(hit)} of {n} tickets)."
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
                "reply": excerpt(sample[key], 200),
                "tickets": n,
                "reopened_or_low": len(hit),
                "rate": round(rate, 4),
                "agents": ranked(authors[key], names),
            }
            for rate, n, key, hit in flagged
        ],
    )


def _with_system_message(scope: Scope, ticket_ids: list[int]) -> set[int]:
    found: set[int] = set()
    m = MESSAGES
    for part in chunks(ticket_ids):
        found.update(
            scope.session.scalars(
                select(m.c.ticket_id)
                .where(
                    m.c.ticket_id.in_(part),
                    m.c.public.is_(True),
                    m.c.author_kind == AuthorKind.system.value,
                )
                .distinct()
            )
        )
    return found


def over_automation(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets solved by automation alone (a public system message, no public human reply) whose
    CSAT or reopen rate trails the human-handled tickets' by more than a margin."""
    resolved = scope.tickets()
    silent = [r for r in resolved if r.agent_replies == 0]
    if len(silent) < t["min_tickets"]:
        return None
    automated = _with_system_message(scope, [r.id for r in silent])
    bots = [r for r in silent if r.id in automated]
    humans = [r for r in resolved if r.agent_replies > 0]
    if len(bots) < t["min_tickets"] or not humans:
        return None
    ratings = scope.ratings()

    def csat(group: list[Any]) -> tuple[int, int]:
        scores = [s for r in group for s in ratings.get(r.id, ())]
        return len(scores), sum(s >= 4 for s in scores)

    bot_rated, bot_good = csat(bots)
    human_rated, human_good = csat(humans)
    bot_reopened = sum(r.reopens > 0 for r in bots)
    human_reopened = sum(r.reopens > 0 for r in humans)
    bot_reopen, human_reopen = bot_reopened / len(bots), human_reopened / len(humans)
    csat_worse = (
        bot_rated >= t["min_ratings"]
        and human_rated > 0
        and bot_good / bot_rated <= human_good / human_rated - t["csat_margin"]
    )
    reopen_worse = bot_reopen >= human_reopen + t["reopen_margin"]
    if not (csat_worse or reopen_worse):
        return None
    unhappy = {r.id for r in bots if min(ratings.get(r.id, [5])) <= 3}
    bots.sort(key=lambda r: (-((r.id in unhappy) + (r.reopens > 0)), -r.reopens, -r.id))
    parts = []
    if bot_rated:
        human_csat = percent(human_good / human_rated) if human_rated else "no ratings"
        parts.append(f"CSAT {percent(bot_good / bot_rated)} against {human_csat}")
    parts.append(f"{percent(bot_reopen)} reopened against {percent(human_reopen)}")
    explanation = (
        f"{len(bots)} tickets were resolved by automation alone, with no human reply: "
        f"{' and '.join(parts)} for the {len(humans)} human-handled tickets."
    )
    return Finding(
        pattern="over_automation",
        title=TITLES["over_automation"],
        explanation=explanation,
        tickets=scope.cut([r.id for r in bots]),
        count=len(bots),
        agents=[],
        groups=[],
        thresholds=t,
        details=[
            {
                "handled_by": who,
                "tickets": n,
                "reopened": reopened,
                "ratings": rated_n,
                "csat": round(good / rated_n, 4) if rated_n else None,
            }
            for who, n, reopened, rated_n, good in (
                ("automation", len(bots), bot_reopened, bot_rated, bot_good),
                ("humans", len(humans), human_reopened, human_rated, human_good),
            )
        ],
    )


CHANNELS = ("phone", "email", "chat", "web")


def channel_forcing(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Public agent replies telling the customer to take the matter to another channel. A phrase
    naming the ticket's own channel (an email ticket told to "email us at") is not a switch; the
    greeting and the sign-off (where a signature gives a phone number) are not read."""
    replies = scope.agent_replies()
    sample = [r.body.lower() for r in replies[:: max(1, len(replies) // 1000)]]
    matchers = {c: PhraseMatcher(t[f"{c}_phrases"], sample) for c in CHANNELS}
    per_ticket: Counter[int] = Counter()
    per_author: Counter[int | None] = Counter()
    to_channel: Counter[str] = Counter()
    quotes: dict[int, str] = {}
    gate = any_of(a for m in matchers.values() for a in m.anchors)
    for reply in replies:
        lowered = reply.body.lower()
        if gate.search(lowered) is None:
            continue
        wanted = [(c, m) for c, m in matchers.items() if c != reply.channel and m.may_match(lowered)]
        if not wanted:
            continue
        key = reply_key(reply.body)
        for channel, matcher in wanted:
            found = matcher.search(key)
            if found is None:
                continue
            per_ticket[reply.ticket_id] += 1
            per_author[reply.author_id] += 1
            to_channel[channel] += 1
            quotes.setdefault(reply.ticket_id, found)
            break
    if len(per_ticket) < t["min_tickets"]:
        return None
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
