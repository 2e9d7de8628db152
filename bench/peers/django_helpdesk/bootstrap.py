"""Idempotent data bootstrap for the django-helpdesk peer.

Ensures a superuser, its DRF token and one queue exist, then writes the
connection facts to $PEER_VAR_DIR/peer.json for the benchmark and for humans.
Run through setup.sh (it sets DJANGO_SETTINGS_MODULE and PYTHONPATH).
"""

import json
import os

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from helpdesk.models import Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

USERNAME = os.environ.get("PEER_ADMIN_USER", "admin")
PASSWORD = os.environ.get("PEER_ADMIN_PASSWORD", "bench-admin-pass")
PORT = os.environ.get("PEER_PORT", "8001")


def main() -> None:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=USERNAME,
        defaults={"email": "", "is_staff": True, "is_superuser": True},
    )
    if created or not user.check_password(PASSWORD):
        user.is_staff = True
        user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
    token, _ = Token.objects.get_or_create(user=user)

    # No email address, no CC lists: creating a ticket in this queue sends nothing.
    queue, _ = Queue.objects.get_or_create(
        slug="bench",
        defaults={"title": "Bench", "allow_public_submission": False},
    )

    facts = {
        "url": f"http://127.0.0.1:{PORT}",
        "api": f"http://127.0.0.1:{PORT}/api/tickets/",
        "user": USERNAME,
        "password": PASSWORD,
        "token": token.key,
        "auth_header": f"Authorization: Token {token.key}",
        "queue_id": queue.id,
        "tickets": queue.ticket_set.count(),
    }
    out = settings.VAR_DIR / "peer.json"
    out.write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts, indent=2))


if __name__ == "__main__":
    main()
