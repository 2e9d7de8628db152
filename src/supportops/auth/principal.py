"""Who is acting. Repositories filter by it; automation acts as the system principal."""

from __future__ import annotations

from dataclasses import dataclass, field

from supportops.auth.enums import STAFF_ROLES, Role, Scope
from supportops.kit.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    role: Role
    name: str
    email: str = ""
    organization_id: int | None = None
    sees_organization_tickets: bool = False
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    is_system: bool = False

    @property
    def is_staff(self) -> bool:
        return self.is_system or self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.is_system or self.role == Role.admin

    @property
    def is_manager(self) -> bool:
        """A lead or an admin: manages the team, its targets and its reports."""
        return self.is_admin or self.role == Role.lead

    def require(self, scope: Scope) -> None:
        if not self.is_system and scope not in self.scopes:
            raise Forbidden(f"This needs the '{scope.value}' scope, which your credentials lack.")

    def require_staff(self, action: str) -> None:
        if not self.is_staff:
            raise Forbidden(f"Only agents, leads and admins can {action}.")

    def require_manager(self, action: str) -> None:
        if not self.is_manager:
            raise Forbidden(f"Only leads and admins can {action}.")

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise Forbidden(f"Only admins can {action}.")


SYSTEM = Principal(user_id=None, role=Role.admin, name="supportops", scopes=frozenset(Scope), is_system=True)

VISITOR = Principal(user_id=None, role=Role.customer, name="visitor")
"""A signed-out portal visitor: reads public articles and asks for suggestions, nothing else."""
