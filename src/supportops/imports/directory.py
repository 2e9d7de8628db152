"""The people, organizations and groups a source names, found in supportops or created for it.

A person met first as an agent is created as an agent, otherwise as a customer; imported people get
no password, so they cannot log in until an admin gives them one. A line that names a customer where
an agent must act is rejected. Groups are created with the tier the source gives (L1 if none)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from supportops.auth.enums import STAFF_ROLES, Role
from supportops.imports import repository
from supportops.imports.lines import LineError


class Directory:
    def __init__(self, *, source: str) -> None:
        self._session: Session | None = None
        self.source = source
        self.users: dict[str, tuple[int, str, int | None]] = {}
        """{email: (id, role, organization id)}"""
        self.organizations: dict[str, int] = {}
        self.groups: dict[str, tuple[int, str]] = {}
        self._domains: dict[str, int | None] = {}
        self.created_people = 0
        self.created_organizations = 0
        self.created_groups = 0

    def bind(self, session: Session) -> None:
        """Work in this chunk's transaction; what was found or created before stays known."""
        self._session = session

    @property
    def session(self) -> Session:
        assert self._session is not None, "bind the directory to a session first"
        return self._session

    def preload(self, emails: Iterable[str], organizations: Iterable[str], groups: Iterable[str]) -> None:
        """Read, in a few batched queries, the ones a chunk names and that are not known yet."""
        self.users.update(repository.users_by_email(self.session, (e for e in emails if e not in self.users)))
        self.organizations.update(
            repository.organizations_by_name(
                self.session, (o for o in organizations if o not in self.organizations)
            )
        )
        self.groups.update(
            repository.groups_by_name(self.session, (g for g in groups if g not in self.groups))
        )

    # -- checks (no writes) --------------------------------------------------------------------

    def check_agent(self, email: str, field: str) -> None:
        found = self.users.get(email)
        if found is not None and Role(found[1]) not in STAFF_ROLES:
            raise LineError(field, f"{email} is a customer in supportops; only agents can do this")

    # -- finding or creating -------------------------------------------------------------------

    def agent(self, email: str, *, at: datetime) -> int:
        found = self.users.get(email)
        if found is not None:
            return found[0]
        return self._create_user(email, Role.agent, organization_id=None, at=at)

    def customer(self, email: str, *, at: datetime, organization_id: int | None = None) -> int:
        """Any existing user (staff may be requesters too); a new one is a customer, in the
        organization given, else the one whose domain matches the address (as ticket intake does)."""
        found = self.users.get(email)
        if found is not None:
            return found[0]
        if organization_id is None:
            organization_id = self._by_domain(email.rsplit("@", 1)[-1])
        return self._create_user(email, Role.customer, organization_id=organization_id, at=at)

    def organization_of(self, email: str) -> int | None:
        found = self.users.get(email)
        return found[2] if found else None

    def organization(self, name: str, *, at: datetime) -> int:
        found = self.organizations.get(name)
        if found is not None:
            return found
        org_id = repository.insert_one(
            self.session,
            repository.ORGANIZATIONS,
            {"name": name, "domain": None, "plan": None, "shared_tickets": False, "created_at": at},
        )
        self.organizations[name] = org_id
        self.created_organizations += 1
        return org_id

    def group(self, name: str, *, tier: str | None, at: datetime) -> tuple[int, str]:
        """(id, tier) of the group; a new one gets ``tier``, or L1."""
        found = self.groups.get(name)
        if found is not None:
            return found
        tier = tier or "L1"
        group_id = repository.insert_one(
            self.session,
            repository.GROUPS,
            {
                "name": name,
                "tier": tier,
                "description": f"Created by the history import from {self.source}.",
                "auto_assign": None,
                "created_at": at,
            },
        )
        self.groups[name] = (group_id, tier)
        self.created_groups += 1
        return group_id, tier

    def _by_domain(self, domain: str) -> int | None:
        if domain not in self._domains:
            self._domains[domain] = repository.organization_by_domain(self.session, domain)
        return self._domains[domain]

    def _create_user(self, email: str, role: Role, *, organization_id: int | None, at: datetime) -> int:
        user_id = repository.insert_one(
            self.session,
            repository.USERS,
            {
                "email": email,
                "name": email.split("@", 1)[0][:255],
                "role": role.value,
                "organization_id": organization_id,
                "password_hash": None,
                "is_active": True,
                "language": "en",
                "timezone": "UTC",
                "created_at": at,
            },
        )
        self.users[email] = (user_id, role.value, organization_id)
        self.created_people += 1
        return user_id
