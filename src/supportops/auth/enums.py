from enum import StrEnum


class Role(StrEnum):
    customer = "customer"
    agent = "agent"
    lead = "lead"
    admin = "admin"


STAFF_ROLES = frozenset({Role.agent, Role.lead, Role.admin})


class Tier(StrEnum):
    """Support tiers; the order of the members is the order of escalation."""

    L0 = "L0"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"

    @property
    def rank(self) -> int:
        return int(self.value[1])


class Scope(StrEnum):
    tickets_read = "tickets:read"
    tickets_write = "tickets:write"
    users_read = "users:read"
    users_write = "users:write"
    admin = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.customer: frozenset({Scope.tickets_read, Scope.tickets_write}),
    Role.agent: frozenset({Scope.tickets_read, Scope.tickets_write, Scope.users_read}),
    Role.lead: frozenset({Scope.tickets_read, Scope.tickets_write, Scope.users_read}),
    Role.admin: frozenset(Scope),
}


class AutoAssign(StrEnum):
    """How a group hands its new tickets to its agents; routing implements each strategy."""

    skills = "skills"
    least_loaded = "least-loaded"
    round_robin = "round-robin"
