"""Survey use cases: send a CSAT survey per resolution, read a ticket's survey, open and answer a
survey through its signed link, and send the NPS relationship survey.

Every survey reaches the customer through :func:`deliver`, the one place a link leaves the product
(an in-app notification today; an email channel plugs in there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.config import Settings
from supportops.kit.errors import Forbidden
from supportops.notifications import service as notifications
from supportops.surveys import repository, tokens
from supportops.surveys.enums import SurveyKind, SurveyState
from supportops.surveys.errors import SurveyAlreadyAnswered, SurveyLinkInvalid
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.surveys.schemas import CsatAnswer, CsatRead, NpsAnswer, SurveyAnswered, SurveyView
from supportops.tickets import service as tickets

NOTIFICATION_KINDS = {SurveyKind.csat: "csat_survey", SurveyKind.nps: "nps_survey"}


@dataclass(frozen=True)
class SurveyLink:
    """A survey on its way to a customer."""

    kind: SurveyKind
    survey_id: int
    user_id: int
    url: str
    expires_at: datetime
    text: str
    ticket_id: int | None = None


def link_for(kind: SurveyKind, survey_id: int, sent_at: datetime, settings: Settings) -> tuple[str, datetime]:
    """(the survey's page, when the link expires)."""
    expires_at = tokens.expiry(sent_at, settings)
    token = tokens.sign(kind, survey_id, expires_at, tokens.signing_key(settings))
    return tokens.path(kind, token), expires_at


def deliver(session: Session, links: list[SurveyLink], *, now: datetime) -> None:
    """Put each link in front of its customer: an in-app notification that carries the link."""
    for link in links:
        notifications.notify(
            session,
            [link.user_id],
            kind=NOTIFICATION_KINDS[link.kind],
            text=link.text,
            now=now,
            ticket_id=link.ticket_id,
            data={
                "survey": link.kind.value,
                "survey_id": link.survey_id,
                "url": link.url,
                "expires_at": link.expires_at.isoformat(),
            },
        )


# --- CSAT -------------------------------------------------------------------------------------


def send_csat(
    session: Session, *, ticket_id: int, resolved_at: datetime, now: datetime, settings: Settings
) -> int | None:
    """Survey the requester about this resolution, once; the survey id, or None when there is
    nobody to ask (the requester is staff or deactivated) or the resolution has a survey already."""
    requester = repository.requester_of(session, ticket_id)
    if requester is None or not requester.is_customer:
        return None
    survey_id = repository.insert_csat_once(
        session,
        {
            "ticket_id": ticket_id,
            "requester_id": requester.id,
            "resolved_at": resolved_at,
            "sent_at": now,
            "answered_at": None,
            "score": None,
            "comment": "",
            "source": "survey",
        },
    )
    if survey_id is None:
        return None
    url, expires_at = link_for(SurveyKind.csat, survey_id, now, settings)
    subject = requester.subject if len(requester.subject) <= 120 else requester.subject[:119] + "…"
    deliver(
        session,
        [
            SurveyLink(
                kind=SurveyKind.csat,
                survey_id=survey_id,
                user_id=requester.id,
                url=url,
                expires_at=expires_at,
                ticket_id=ticket_id,
                text=f'How did we do on ticket #{ticket_id} "{subject}"? Rate our help (1-5): {url}',
            )
        ],
        now=now,
    )
    return survey_id


def _csat_state(survey: CsatSurvey, now: datetime, settings: Settings) -> SurveyState:
    if survey.answered_at is not None:
        return SurveyState.answered
    return SurveyState.expired if now >= tokens.expiry(survey.sent_at, settings) else SurveyState.open


def csat_of_ticket(
    session: Session, *, actor: Principal, ticket_id: int, now: datetime, settings: Settings
) -> CsatRead:
    """The survey of the ticket's latest resolution. Staff and the requester may read it; a
    colleague who shares the ticket through the organization may not."""
    ticket = tickets.read_ticket(session, actor=actor, ticket_id=ticket_id)
    if not actor.is_staff and ticket.requester_id != actor.user_id:
        raise Forbidden("Only the requester and the support team can see this ticket's survey.")
    survey = repository.latest_csat(session, ticket_id)
    if survey is None:
        return CsatRead(ticket_id=ticket_id, state=SurveyState.not_sent)
    state = _csat_state(survey, now, settings)
    url, expires_at = link_for(SurveyKind.csat, survey.id, survey.sent_at, settings)
    mine = actor.user_id is not None and actor.user_id == survey.requester_id
    return CsatRead(
        ticket_id=ticket_id,
        state=state,
        survey_id=survey.id,
        resolved_at=survey.resolved_at,
        sent_at=survey.sent_at,
        expires_at=expires_at,
        answered_at=survey.answered_at,
        score=survey.score,
        comment=survey.comment if survey.answered_at is not None else None,
        link=url if mine and state == SurveyState.open else None,
    )


@dataclass(frozen=True)
class CsatScore:
    ticket_id: int
    score: int
    answered_at: datetime
    comment: str
    """The opening of the comment, at most ``EXCERPT`` characters."""


@dataclass(frozen=True)
class CsatHistory:
    """A customer's latest answered CSAT surveys, newest first, and the mean of all their answers."""

    scores: list[CsatScore]
    answered: int
    average: float | None


EXCERPT = 140


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def csat_history(session: Session, *, actor: Principal, requester_id: int, limit: int = 5) -> CsatHistory:
    """How satisfied this customer has been (staff only: beside the customer's tickets)."""
    actor.require_staff("read a customer's satisfaction history")
    rows = repository.answered_csat_of_requester(session, requester_id, limit)
    answered, average = repository.csat_average_of_requester(session, requester_id)
    return CsatHistory(
        scores=[
            CsatScore(
                ticket_id=r.ticket_id, score=r.score, answered_at=r.answered_at, comment=_excerpt(r.comment)
            )
            for r in rows
            if r.score is not None and r.answered_at is not None
        ],
        answered=answered,
        average=None if average is None else round(average, 2),
    )


def open_csat_link(
    session: Session, *, actor: Principal, ticket_id: int, now: datetime, settings: Settings
) -> CsatRead | None:
    """The survey the requester should still answer on this ticket, if any (for the portal)."""
    if actor.user_id is None or actor.is_staff:
        return None
    read = csat_of_ticket(session, actor=actor, ticket_id=ticket_id, now=now, settings=settings)
    return read if read.link is not None else None


# --- answering through the link ---------------------------------------------------------------


def _verified(kind: SurveyKind, token: str, now: datetime, settings: Settings) -> int:
    return tokens.verify(token, kind, tokens.signing_key(settings), now=now).survey_id


def view(session: Session, *, kind: SurveyKind, token: str, now: datetime, settings: Settings) -> SurveyView:
    """What the survey page shows for a link; the link's errors (invalid, expired) propagate."""
    survey_id = _verified(kind, token, now, settings)
    expires_at: datetime
    if kind == SurveyKind.csat:
        found = repository.csat_with_subject(session, survey_id)
        if found is None:
            raise SurveyLinkInvalid()
        csat, subject = found
        expires_at = tokens.expiry(csat.sent_at, settings)
        return SurveyView(
            kind=kind,
            survey_id=csat.id,
            token=token,
            subject=subject,
            ticket_id=csat.ticket_id,
            expires_at=expires_at,
            answered_at=csat.answered_at,
            score=csat.score,
            comment=csat.comment,
        )
    nps = repository.get_nps(session, survey_id)
    if nps is None:
        raise SurveyLinkInvalid()
    return SurveyView(
        kind=kind,
        survey_id=nps.id,
        token=token,
        subject=None,
        ticket_id=None,
        expires_at=tokens.expiry(nps.sent_at, settings),
        answered_at=nps.answered_at,
        score=nps.score,
        comment=nps.comment,
    )


def answer(
    session: Session,
    *,
    kind: SurveyKind,
    token: str,
    data: CsatAnswer | NpsAnswer,
    now: datetime,
    settings: Settings,
) -> SurveyAnswered:
    """Store the one answer a link allows; a second is refused with :class:`SurveyAlreadyAnswered`."""
    survey_id = _verified(kind, token, now, settings)
    model: type[CsatSurvey] | type[NpsSurvey] = CsatSurvey if kind == SurveyKind.csat else NpsSurvey
    if not repository.answer(
        session, model, survey_id=survey_id, score=data.score, comment=data.comment, now=now
    ):
        exists = (
            repository.csat_with_subject(session, survey_id)
            if kind == SurveyKind.csat
            else repository.get_nps(session, survey_id)
        )
        if exists is None:
            raise SurveyLinkInvalid()
        raise SurveyAlreadyAnswered()
    return SurveyAnswered(
        kind=kind, survey_id=survey_id, score=data.score, comment=data.comment, answered_at=now
    )


# --- NPS --------------------------------------------------------------------------------------

NPS_BATCH = 500


@dataclass(frozen=True)
class NpsRun:
    sent: int
    last_customer_id: int | None
    """Set when the batch was full: the next batch starts after this customer."""


def send_nps(
    session: Session, *, now: datetime, settings: Settings, after_id: int = 0, batch: int | None = None
) -> NpsRun:
    """Survey every active customer who had a ticket in the last ``nps_interval_days`` and was not
    surveyed in them, up to ``batch`` at a time. Safe to run twice or in two workers at once: the
    run holds a lock, and a customer surveyed in the interval is not selected again."""
    batch = batch or NPS_BATCH
    repository.lock_nps_run(session)
    since = now - timedelta(days=settings.nps_interval_days)
    due = repository.nps_due_customers(session, since=since, after_id=after_id, limit=batch)
    created = repository.insert_nps(session, customer_ids=due, now=now)
    links = []
    for survey_id, customer_id in created:
        url, expires_at = link_for(SurveyKind.nps, survey_id, now, settings)
        links.append(
            SurveyLink(
                kind=SurveyKind.nps,
                survey_id=survey_id,
                user_id=customer_id,
                url=url,
                expires_at=expires_at,
                text=f"How likely are you to recommend us to a friend or colleague (0-10)? Tell us: {url}",
            )
        )
    deliver(session, links, now=now)
    return NpsRun(sent=len(created), last_customer_id=due[-1] if len(due) == batch else None)
