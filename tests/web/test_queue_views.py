"""The agent workspace's queue page: filters and sorting, the "my groups" queue, saved views per
user, and bulk changes that report each ticket's outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.auth.enums import Role, Tier
from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.tickets import service as tickets
from supportops.tickets import views
from supportops.tickets.enums import Status
from supportops.tickets.models import Ticket
from supportops.tickets.repository import TicketFilter, TicketOrder
from supportops.tickets.schemas import TicketCreate
from tests.factories import make_group, make_org, make_person, principal
from tests.web.test_pages import PASSWORD, csrf, sign_in


@dataclass(frozen=True)
class Desk:
    alex: int
    sam: int
    customer: int
    front: int
    billing: int
    back_office: int


@pytest.fixture
def desk(db: Database, clock: FrozenClock) -> Desk:
    org = make_org(db, clock.now(), name="Initech", domain="initech.example.com")
    alex = make_person(db, clock.now(), email="alex@help.example.com", role=Role.agent, password=PASSWORD)
    sam = make_person(db, clock.now(), email="sam@help.example.com", role=Role.agent, password=PASSWORD)
    customer = make_person(
        db, clock.now(), email="pat@initech.example.com", role=Role.customer, organization_id=org
    )
    return Desk(
        alex=alex.id,
        sam=sam.id,
        customer=customer.id,
        front=make_group(db, clock.now(), name="Front line", tier=Tier.L1, members=[alex.id, sam.id]),
        billing=make_group(db, clock.now(), name="Billing", tier=Tier.L1, members=[alex.id]),
        back_office=make_group(db, clock.now(), name="Back office", tier=Tier.L2, members=[sam.id]),
    )


def open_ticket(
    db: Database,
    clock: FrozenClock,
    desk: Desk,
    subject: str,
    *,
    priority: str = "P3",
    group: int | None = None,
    assignee: int | None = None,
    tags: tuple[str, ...] = (),
    status: Status | None = None,
) -> int:
    with db.unit_of_work() as session:
        created = tickets.create_ticket(
            session,
            actor=SYSTEM,
            data=TicketCreate(
                subject=subject,
                description=f"{subject}, reported by Pat",
                priority=priority,
                requester_id=desk.customer,
                group_id=group,
                assignee_id=assignee,
                tags=list(tags),
            ),
            now=clock.now(),
        )
        if status is not None:
            ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=created.id, for_update=True)
            tickets.transition(session, actor=SYSTEM, ticket=ticket, to=status, now=clock.now())
        return created.id


def listed(html: str) -> list[int]:
    """The ticket ids of the queue table, in order."""
    return [int(i) for i in re.findall(r'<tr data-ticket="(\d+)"', html)]


def test_filters_narrow_the_queue_and_sort_by_sla_due(
    client: TestClient, db: Database, clock: FrozenClock, desk: Desk
) -> None:
    urgent = open_ticket(db, clock, desk, "Checkout down", priority="P1", group=desk.front, tags=("billing",))
    slow = open_ticket(db, clock, desk, "Slow invoices", priority="P3", group=desk.billing, tags=("billing",))
    mine = open_ticket(db, clock, desk, "Password reset", priority="P4", assignee=desk.alex)
    waiting = open_ticket(db, clock, desk, "Need a receipt", assignee=desk.sam, status=Status.pending)
    sign_in(client, "alex@help.example.com")

    everything = client.get("/agent?queue=all")
    assert everything.status_code == 200
    assert listed(everything.text) == [waiting, mine, slow, urgent]  # newest first
    assert listed(client.get("/agent?queue=all&priority=P1").text) == [urgent]
    assert listed(client.get("/agent?queue=all&tag=billing").text) == [slow, urgent]
    assert listed(client.get(f"/agent?queue=all&group_id={desk.billing}").text) == [slow]
    assert listed(client.get("/agent?queue=all&assignee=none").text) == [slow, urgent]
    assert listed(client.get("/agent?queue=all&assignee=me").text) == [mine]
    assert listed(client.get(f"/agent?queue=all&assignee={desk.sam}").text) == [waiting]
    assert listed(client.get("/agent?queue=all&status=pending").text) == [waiting]
    assert listed(client.get("/agent?queue=pending").text) == [waiting]  # waiting on customer
    assert listed(client.get("/agent?queue=open&q=invoices").text) == [slow]
    # The queue's own choice gives way to a refinement of the same field: "mine" is open work
    # assigned to me, unless another assignee is asked for.
    assert listed(client.get("/agent?queue=mine").text) == [mine]
    assert listed(client.get(f"/agent?queue=mine&assignee={desk.sam}&status=any").text) == [waiting]
    # SLA due soonest: the P1 clock runs out first; tickets without a running clock are left out.
    with db.unit_of_work(write=False) as session:
        due = {r.id: r.sla_due_at for r in session.execute(select(Ticket.id, Ticket.sla_due_at))}
    by_due = listed(client.get("/agent?queue=open&sort=sla_due").text)
    assert by_due[0] == urgent
    assert by_due == sorted((i for i, at in due.items() if at), key=lambda i: (due[i], i))

    page = client.get("/agent?queue=all&priority=P1&tag=billing&sort=sla_due").text
    assert "<option selected>P1</option>" in page and 'value="billing"' in page
    assert '<option value="sla_due" selected>' in page
    assert 'data-sla-due="' in page and "data-now=" in page  # the live countdown's inputs

    refused = client.get("/agent?queue=all&priority=P9&tag=billing")
    assert refused.status_code == 422 and 'id="f-priority-error"' in refused.text
    assert listed(refused.text) == [slow, urgent]  # the filters that check still apply


def test_my_groups_lists_open_work_of_every_group_i_belong_to(
    client: TestClient, db: Database, clock: FrozenClock, desk: Desk
) -> None:
    front = open_ticket(db, clock, desk, "Login loop", group=desk.front)
    billing = open_ticket(db, clock, desk, "Refund", group=desk.billing)
    open_ticket(db, clock, desk, "Server room", group=desk.back_office)  # Sam's group only
    open_ticket(db, clock, desk, "Old refund", group=desk.billing, assignee=desk.alex, status=Status.resolved)
    open_ticket(db, clock, desk, "No group yet")
    sign_in(client, "alex@help.example.com")
    page = client.get("/agent?queue=groups")
    assert page.status_code == 200 and "My groups" in page.text
    assert listed(page.text) == [billing, front]
    assert listed(client.get(f"/agent?queue=groups&group_id={desk.front}").text) == [front]


def test_a_merged_group_list_pages_through_every_ticket_once(
    db: Database, clock: FrozenClock, desk: Desk
) -> None:
    made = [
        open_ticket(db, clock, desk, f"Ticket {i}", group=(desk.front, desk.billing, desk.back_office)[i % 3])
        for i in range(11)
    ]
    alex = principal(db, desk.alex)
    for order in (TicketOrder.newest, TicketOrder.sla_due):
        seen: list[int] = []
        cursor = None
        with db.unit_of_work(write=False) as session:
            while True:
                page = views.list_in_groups(
                    session,
                    actor=alex,
                    filters=TicketFilter(order=order, now=clock.now()),
                    group_ids=[desk.front, desk.billing],
                    cursor=cursor,
                    limit=3,
                )
                seen += [t.id for t in page.items]
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        expected = [t for i, t in enumerate(made) if i % 3 != 2]
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)), order
        if order == TicketOrder.newest:
            assert seen == sorted(expected, reverse=True)


def test_saved_views_belong_to_their_agent(
    client: TestClient, db: Database, clock: FrozenClock, desk: Desk
) -> None:
    urgent = open_ticket(db, clock, desk, "Checkout down", priority="P1", tags=("billing",))
    open_ticket(db, clock, desk, "Slow invoices", priority="P3", tags=("billing",))
    sign_in(client, "alex@help.example.com")
    token = csrf(client.get("/agent").text)
    filters = {"queue": "open", "priority": "P1", "tag": "billing", "sort": "sla_due"}
    saved = client.post(
        "/agent/views",
        data={"name": "Urgent billing", **filters, "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    view_url = saved.headers["location"]
    view_id = int(view_url.rsplit("=", 1)[1])
    page = client.get(view_url)
    assert page.status_code == 200 and "<h1>Urgent billing</h1>" in page.text
    assert f'href="/agent?view={view_id}" aria-current="page"' in page.text
    assert listed(page.text) == [urgent]
    # The same name again replaces the filters; an empty name is refused next to the field.
    again = client.post(
        "/agent/views",
        data={"name": "Urgent billing", **filters, "priority": "P3", "csrf_token": token},
        follow_redirects=False,
    )
    assert again.headers["location"] == view_url
    nameless = client.post("/agent/views", data={"name": "  ", **filters, "csrf_token": token})
    assert nameless.status_code == 422 and 'id="view-name-error"' in nameless.text
    forged = client.post("/agent/views", data={"name": "Forged", **filters, "csrf_token": "nope"})
    assert forged.status_code == 403
    with db.unit_of_work(write=False) as session:
        stored = list(session.scalars(select(views.SavedView)))
    assert [(v.user_id, v.name, v.filters["priority"]) for v in stored] == [
        (desk.alex, "Urgent billing", "P3")
    ]
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "sam@help.example.com")
    token = csrf(client.get("/agent").text)
    assert "Urgent billing" not in client.get("/agent").text
    assert client.get(view_url).status_code == 404
    assert client.post(f"/agent/views/{view_id}/delete", data={"csrf_token": token}).status_code == 404
    mine = client.post(
        "/agent/views",
        data={"name": "Urgent billing", "queue": "all", "csrf_token": token},
        follow_redirects=False,
    )
    assert mine.status_code == 303 and mine.headers["location"] != view_url
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "alex@help.example.com")
    token = csrf(client.get("/agent").text)
    gone = client.post(f"/agent/views/{view_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    assert "Urgent billing" not in client.get("/agent").text
    assert client.get(view_url).status_code == 404
    with db.unit_of_work(write=False) as session:
        assert [v.user_id for v in session.scalars(select(views.SavedView))] == [desk.sam]


def test_a_bulk_change_reports_what_failed_and_what_succeeded(
    client: TestClient, db: Database, clock: FrozenClock, desk: Desk
) -> None:
    fresh = open_ticket(db, clock, desk, "Printer jam", group=desk.front)
    owned = open_ticket(db, clock, desk, "VPN drops", group=desk.front, assignee=desk.sam)
    solved = open_ticket(db, clock, desk, "Typo on invoice", assignee=desk.sam, status=Status.resolved)
    sign_in(client, "alex@help.example.com")
    page = client.get("/agent?queue=all")
    token = csrf(page.text)
    back = re.search(r'name="back" value="([^"]+)"', page.text)
    assert back and 'action="/agent/bulk"' in page.text
    selected = [str(fresh), str(owned), str(solved)]

    result = client.post(
        "/agent/bulk",
        data={"ticket": selected, "status": "pending", "csrf_token": token, "back": back.group(1)},
    )
    assert result.status_code == 200
    flash = result.text.split('id="bulk-result"')[1].split("</div>")[0]
    assert "Updated 2 tickets" in flash and f"#{fresh}</a>" in flash and f"#{owned}</a>" in flash
    assert "1 ticket not changed" in flash
    assert f"#{solved}</a>: A ticket cannot move from resolved to pending." in flash
    assert listed(result.text) == [solved, owned, fresh]  # back on the same queue

    taken = client.post(
        "/agent/bulk",
        data={
            "ticket": [str(fresh), str(owned)],
            "assign": "me",
            "priority": "P2",
            "tag": "Network",
            "csrf_token": token,
            "back": back.group(1),
        },
    )
    assert taken.status_code == 200 and "Updated 2 tickets" in taken.text
    with db.unit_of_work(write=False) as session:
        rows = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([fresh, owned, solved])))}
    assert rows[fresh].status == rows[owned].status == Status.pending
    assert rows[fresh].assignee_id == rows[owned].assignee_id == desk.alex
    assert rows[fresh].priority == rows[owned].priority == "P2"
    assert rows[fresh].tags == rows[owned].tags == ["network"]
    assert rows[solved].status == Status.resolved and rows[solved].assignee_id == desk.sam

    refund = open_ticket(db, clock, desk, "Refund", group=desk.billing)
    outsider = client.post(
        "/agent/bulk",
        data={"ticket": [str(refund)], "assign": str(desk.sam), "csrf_token": token, "back": back.group(1)},
    )
    assert outsider.status_code == 200 and "Updated 1 ticket" not in outsider.text
    assert 'class="flash flash-error"' in outsider.text and 'role="alert"' in outsider.text
    assert f"#{refund}</a>: User {desk.sam} is not a member of group {desk.billing}" in outsider.text
    forged = client.post("/agent/bulk", data={"ticket": selected, "priority": "P1", "csrf_token": "forged"})
    assert forged.status_code == 403
    nothing = client.post("/agent/bulk", data={"priority": "P1", "csrf_token": token})
    assert nothing.status_code == 422 and "Select at least one ticket" in nothing.text
    no_change = client.post("/agent/bulk", data={"ticket": selected, "csrf_token": token})
    assert no_change.status_code == 422 and "Choose a change" in no_change.text
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(Ticket.priority).where(Ticket.id == solved)) == "P3"
