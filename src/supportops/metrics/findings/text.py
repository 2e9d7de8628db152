"""Text rules the detectors share, as pure functions: what makes two replies the same, which
phrases send the customer elsewhere, and which tickets are about the same recurring issue."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b[^,!.\n]{0,40}[,!.]?", re.I
)
_GREETING_WORDS = ("hi", "hello", "hey", "dear", "good ", "greetings")
_SIGNOFF = re.compile(
    r"^(?:best|kind|warm|many)?\s*(?:regards|wishes|thanks|thank you|cheers|best|sincerely)\b.{0,40}$", re.I
)
_SIGNOFF_WORDS = ("best", "kind", "warm", "many", "regards", "wishes", "thank", "cheers", "sincerely")
_SPACE = re.compile(r"\s+")


def reply_core(body: str) -> str:
    """A reply without its greeting, its sign-off and the name lines after it: what was pasted.
    Plain string tests go first; the patterns run only on lines that may be a greeting or sign-off."""
    text = body.strip()
    tail = text.rsplit("\n", 4)
    for i in range(len(tail) - 1, 0, -1):
        line = tail[i].strip()
        if line[:9].lower().startswith(_SIGNOFF_WORDS) and _SIGNOFF.match(line):
            text = "\n".join(tail[:i])
            break
    if text[:9].lower().startswith(_GREETING_WORDS):
        text = _GREETING.sub("", text, count=1)
    return text.strip(" \t\r\n,.!")


_DIGITS = b"0123456789"


def reply_key(body: str) -> str:
    """The pasted part reduced further: case, digits and spacing aside. Two replies with the same
    key say the same thing. Digits are dropped from the UTF-8 bytes (no multi-byte character holds
    an ASCII byte), several times faster than ``str.translate`` over a hundred thousand replies."""
    core = reply_core(body).lower().encode().translate(None, _DIGITS)
    return " ".join(core.decode().split())


def flatten(text: str) -> str:
    """Lower case with single spaces: the form :class:`PhraseMatcher` searches."""
    return " ".join(text.lower().split())


class PhraseMatcher:
    """Finds the first of many phrases in a flattened text, as whole words.

    Most texts contain none, so a text is first checked for the phrases' anchor words with plain
    substring tests; only a text holding one is searched phrase by phrase, and a hit is confirmed
    with a word-boundary pattern ("call us at" is not in "recall us at"). A phrase's anchor is its
    telling word (four letters or more, not a stop word) found in the fewest of ``sample``
    (lower-case texts like the ones to search): "phone" rather than "contact" anchors "contact us
    by phone"."""

    def __init__(self, phrases: Iterable[str], sample: Sequence[str] = ()) -> None:
        self.phrases = sorted({flatten(p) for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
        seen: dict[str, int] = {}

        def rarity(word: str) -> tuple[int, int]:
            if word not in seen:
                seen[word] = sum(word in text for text in sample)
            return (seen[word], -len(word))

        def anchor(phrase: str) -> str:
            words = phrase.split()
            telling = [w for w in words if len(w) >= 4 and w not in _STOP] or words
            return min(telling, key=rarity)

        self.anchors = tuple(sorted({anchor(p) for p in self.phrases}))
        self._patterns = {p: re.compile(_phrase_pattern(p)) for p in self.phrases}

    def may_match(self, lowered: str) -> bool:
        """False when ``lowered`` (any lower-case text) cannot contain a phrase: a cheap first test."""
        return any(anchor in lowered for anchor in self.anchors)

    def search(self, flat: str) -> str | None:
        """The phrase found in ``flat`` (see :func:`flatten`), or None."""
        if not self.may_match(flat):
            return None
        for phrase in self.phrases:
            if phrase in flat and self._patterns[phrase].search(flat):
                return phrase
        return None


def any_of(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern finding any of the words as a substring: a single scan of a text where a test per
    word would scan it once each. Matches nothing when there are no words."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in ordered) if ordered else r"(?!)")


def _phrase_pattern(phrase: str) -> str:
    start = r"\b" if phrase[0].isalnum() else ""
    end = r"\b" if phrase[-1].isalnum() else ""
    return start + re.escape(phrase) + end


def excerpt(body: str, limit: int = 120) -> str:
    text = _SPACE.sub(" ", body).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- recurring issues ---------------------------------------------------------------------------

TicketIds = Sequence[int] | npt.NDArray[np.int64]

_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don't",
        "for",
        "from",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hi",
        "hello",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "just",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "once",
        "only",
        "or",
        "our",
        "out",
        "over",
        "please",
        "re",
        "same",
        "she",
        "should",
        "since",
        "so",
        "some",
        "still",
        "such",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "up",
        "us",
        "very",
        "was",
        "we",
        "we're",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "won't",
        "would",
        "you",
        "your",
        "yours",
        "can't",
        "doesn't",
        "didn't",
        "help",
        "need",
        "needs",
        "issue",
        "issues",
        "problem",
        "problems",
        "question",
        "request",
        "urgent",
        "asap",
    ]
)
_SUFFIXES = ("ing", "ed", "es", "s", "e")


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str | None:
    """A light suffix strip so that "charged", "charges" and "charge" meet (not linguistics); None
    for a word too short or too common to carry meaning."""
    word = word.strip("'-")
    if len(word) < 3 or word in _STOP:
        return None
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> dict[str, str]:
    """The content terms of a text, each once and in order: {stem: the word as written}."""
    seen: dict[str, str] = {}
    for word in _WORD.findall(text.lower()):
        stem = _stem(word)
        if stem is not None and stem not in seen:
            seen[stem] = word.strip("'-")
    return seen


@dataclass(frozen=True)
class Issue:
    """Tickets of one category whose subjects share the same recurring terms."""

    category: str | None
    stems: tuple[str, ...]
    tickets: list[int]
    """Newest first."""
    subjects: dict[str, int]
    """The tickets' subjects, with how many tickets have each."""
    terms_of: Callable[[str], dict[str, str]] = field(default=terms, compare=False, repr=False)
    """:func:`terms`, or a lookup of what it gave for each subject."""

    def title(self) -> str:
        """The most common subject among them: a ready title for the missing article."""
        counts: Counter[str] = Counter()
        for subject, n in self.subjects.items():
            counts[" ".join(subject.split())] += n
        return min(counts, key=lambda s: (-counts[s], len(s), s))

    def terms(self) -> list[str]:
        """The shared terms as the subjects most often write them."""
        written: dict[str, Counter[str]] = {stem: Counter() for stem in self.stems}
        for subject, n in self.subjects.items():
            for stem, word in self.terms_of(subject).items():
                if stem in written:
                    written[stem][word] += n
        return sorted(c.most_common(1)[0][0] if c else stem for stem, c in written.items())


def recurring_issues(
    docs: Sequence[tuple[int, str | None, str]],
    *,
    min_tickets: int,
    signature_terms: int,
    max_term_share: float,
) -> list[Issue]:
    """Group ``(ticket id, category, subject)`` into recurring issues: see :func:`subject_issues`."""
    grouped: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for ticket_id, category, subject in docs:
        grouped[(category, subject)].append(ticket_id)
    return subject_issues(
        [(ids, category, subject) for (category, subject), ids in grouped.items()],
        min_tickets=min_tickets,
        signature_terms=signature_terms,
        max_term_share=max_term_share,
    )


def subject_issues(
    docs: Sequence[tuple[TicketIds, str | None, str]],
    *,
    min_tickets: int,
    signature_terms: int,
    max_term_share: float,
    terms_of: Callable[[str], dict[str, str]] | None = None,
) -> list[Issue]:
    """Group ``(ticket ids, category, subject)``, the tickets of one category with one subject,
    into recurring issues of at least ``min_tickets`` tickets, the largest first.

    Within a category, a term that at least ``min_tickets`` subjects use recurs; one in more than
    ``max_term_share`` of them is too generic to tell issues apart. A ticket's issue is its
    ``signature_terms`` most widely shared recurring terms: the words its subject has in common with
    the most others, which keeps "March" and "April" invoices together while "charged twice" and
    "wrong VAT number" stay apart. Tickets with fewer than two recurring terms join no issue."""
    by_category: dict[str | None, list[tuple[TicketIds, str, tuple[str, ...]]]] = defaultdict(list)
    seen: dict[str, tuple[str, ...]] = {}
    for ids, category, subject in docs:
        key = category.strip().lower() if category and category.strip() else None
        stems = seen.get(subject)
        if stems is None:
            stems = seen[subject] = tuple((terms_of or terms)(subject))
        by_category[key].append((ids, subject, stems))
    # A term in more than max_term_share of all subjects is boilerplate ("case", a source's
    # name), however small the category it shows up in.
    overall: Counter[str] = Counter()
    for items in by_category.values():
        for ids, _, stems in items:
            for stem in stems:
                overall[stem] += len(ids)
    total = sum(len(ids) for items in by_category.values() for ids, _, _ in items)
    generic = (
        {w for w, n in overall.items() if n > max_term_share * total} if total >= 4 * min_tickets else set()
    )
    issues: list[Issue] = []
    for category, items in by_category.items():
        df: Counter[str] = Counter()
        for ids, _, stems in items:
            for stem in stems:
                df[stem] += len(ids)
        size = sum(len(ids) for ids, _, _ in items)
        ceiling = max(min_tickets, max_term_share * size)
        recurring = sorted(
            (w for w, n in df.items() if min_tickets <= n <= ceiling and w not in generic),
            key=lambda w: (-df[w], w),
        )
        rank = {w: i for i, w in enumerate(recurring)}
        groups: dict[tuple[int, ...], list[tuple[TicketIds, str]]] = defaultdict(list)
        for ids, subject, stems in items:
            picked = sorted(rank[w] for w in stems if w in rank)
            if len(picked) >= 2:
                groups[tuple(picked[:signature_terms])].append((ids, subject))
        for signature, members in groups.items():
            if sum(len(ids) for ids, _ in members) < min_tickets:
                continue
            tickets = np.sort(np.concatenate([np.asarray(ids, dtype=np.int64) for ids, _ in members]))
            subjects: Counter[str] = Counter()
            for ids, subject in members:
                subjects[subject] += len(ids)
            stems = tuple(sorted(recurring[i] for i in signature))
            issue = Issue(category, stems, tickets[::-1].tolist(), dict(subjects))
            issues.append(issue if terms_of is None else replace(issue, terms_of=terms_of))
    issues.sort(key=lambda i: (-len(i.tickets), i.category or "", i.stems))
    return issues
