"""Why a survey link cannot be answered; each says what the customer can do about it."""

from __future__ import annotations

from datetime import datetime

from supportops.kit.errors import Conflict, NotFound, SupportOpsError


class SurveyLinkInvalid(NotFound):
    """The link was changed or cut short, or its survey no longer exists."""

    def __init__(self) -> None:
        super().__init__(
            "This survey link is not valid. Open the link from your notification again, "
            "making sure it was copied whole."
        )


class SurveyLinkExpired(SupportOpsError):
    status = 410
    title = "Survey link expired"
    slug = "survey-expired"

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(
            f"This survey link expired on {expired_at:%Y-%m-%d}. Thank you all the same; "
            "you can always reply on your ticket.",
            expired_at=expired_at.isoformat(),
        )


class SurveyAlreadyAnswered(Conflict):
    def __init__(self) -> None:
        super().__init__("This survey has already been answered. Thank you for your feedback.")
