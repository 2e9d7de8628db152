"""Build accounts and tickets through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportops.auth import service as accounts
from supportops.auth.enums import Role, Tier
from supportops.auth.principal import SYSTEM, Principal
from supportops.auth.schemas import GroupCreate, OrganizationCreate, TokenCreate, UserCreate
from supportops.db.session import Database


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    token: str
    role: Role

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_person(
    db: Database,
    now: datetime,
    *,
    email: str,
    role: Role,
    organization_id: int | None = None,
    group_ids: list[int] | None = None,
    password: str | None = None,
) -> Person:
    with db.unit_of_work() as session:
        user = accounts.create_user_unchecked(
            session,
            data=UserCreate(
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                organization_id=organization_id,
                group_ids=group_ids or [],
                password=password,
            ),
            now=now,
        )
        issued = accounts.issue_token(session, user=user, data=TokenCreate(name="test"), now=now)
        return Person(id=user.id, email=user.email, token=issued.secret, role=role)


def make_org(
    db: Database, now: datetime, *, name: str, shared: bool = False, domain: str | None = None
) -> int:
    with db.unit_of_work() as session:
        org = accounts.create_organization(
            session,
            actor=SYSTEM,
            data=OrganizationCreate(name=name, shared_tickets=shared, domain=domain),
            now=now,
        )
        return org.id


def make_group(
    db: Database, now: datetime, *, name: str, tier: Tier, members: list[int] | None = None
) -> int:
    with db.unit_of_work() as session:
        group = accounts.create_group(
            session,
            actor=SYSTEM,
            data=GroupCreate(name=name, tier=tier, member_ids=members or []),
            now=now,
        )
        return group.id


def principal(db: Database, user_id: int) -> Principal:
    with db.unit_of_work(write=False) as session:
        user = accounts.users_by_id(session, [user_id])[user_id]
        return accounts.principal_for(session, user)


@dataclass(frozen=True)
class Team:
    """A small help desk: an L1 and an L2 group, two agents, a lead, an admin, two customers of
    one organization that does not share tickets and one of an organization that does."""

    admin: Person
    lead: Person
    agent: Person
    specialist: Person
    customer: Person
    other_customer: Person
    colleague: Person
    l1: int
    l2: int
    acme: int
    globex: int


def make_team(db: Database, now: datetime) -> Team:
    acme = make_org(db, now, name="Acme", domain="acme.example.com")
    globex = make_org(db, now, name="Globex", shared=True, domain="globex.example.com")
    admin = make_person(db, now, email="admin@support.example.com", role=Role.admin)
    lead = make_person(db, now, email="lead@support.example.com", role=Role.lead)
    agent = make_person(db, now, email="agent@support.example.com", role=Role.agent)
    specialist = make_person(db, now, email="specialist@support.example.com", role=Role.agent)
    l1 = make_group(db, now, name="L1 Support", tier=Tier.L1, members=[agent.id, lead.id])
    l2 = make_group(db, now, name="L2 Specialists", tier=Tier.L2, members=[specialist.id])
    customer = make_person(db, now, email="ann@acme.example.com", role=Role.customer, organization_id=acme)
    other = make_person(db, now, email="bob@acme.example.com", role=Role.customer, organization_id=acme)
    colleague = make_person(
        db, now, email="cy@globex.example.com", role=Role.customer, organization_id=globex
    )
    return Team(admin, lead, agent, specialist, customer, other, colleague, l1, l2, acme, globex)
