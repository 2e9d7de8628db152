from enum import StrEnum


class SurveyKind(StrEnum):
    """The two surveys: CSAT after a resolution (1-5), NPS on a schedule (0-10)."""

    csat = "csat"
    nps = "nps"

    @property
    def scale(self) -> range:
        return range(1, 6) if self is SurveyKind.csat else range(0, 11)


class SurveyState(StrEnum):
    not_sent = "not_sent"
    open = "open"
    answered = "answered"
    expired = "expired"
