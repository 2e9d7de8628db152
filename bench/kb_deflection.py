#!/usr/bin/env python3
"""Knowledge-base suggestions: right article found, no_match calibrated, and how fast.

Every measurement runs the app in-process (FastAPI TestClient, no server) on a fresh migrated SQLite
file. Articles and linked tickets are written through the service layer for speed; every quality
figure is read from ``POST /api/v1/kb/suggest`` as a signed-out visitor, the product path.

1. BANKING77 (train.csv only): one article per intent from 20 of its questions, 30 other questions
   held out as queries, 10 more kept for validation, the rest become resolved tickets linked to the
   article (the knowledge loop). hit@1 / hit@3 with articles only, then with the linked tickets; the
   SQLite FTS5 BM25 backend alone on the same queries as the baseline.
2. CLINC150: one article per intent from 20 train sentences; the no_match threshold is calibrated on
   10 other train sentences per intent plus oos_train, with articles only and again after 50 more per
   intent became linked tickets; then it is set through the settings API and judged on val + oos_val
   (in-scope accuracy, OOS recall and precision). The threshold applies to the service's confidence
   (best score - runner-up weight * second best, ``kb.confidence``); the weights 0 to 1 are swept on
   the same in-scope calibration queries (with tickets) and the weight whose deflection threshold
   rejects the most out-of-scope training queries of the OOS+ variant (250: oos_train and 150 more,
   none in oos_val) is recommended.
3. HINT3 v1: per bot, a quarter of the intents held out entirely (their sentences are out of scope),
   articles from half of each other intent's sentences, the other half as queries; OOS recall at the
   published platforms' in-scope accuracy, pooled over several random splits; also with the top
   score alone as the confidence (the rule before the runner-up weight), on the same answers.
4. Speed on 10,000 articles: /kb/suggest latency over HTTP, the service call and the index alone,
   and publish -> top suggestion, in this process and in a second one on the same file.

The suggestion mode is the product's: word embeddings blended in when the ``semantic`` extra is
installed, unless ``--lexical`` (or SUPPORTOPS_SEMANTIC_SEARCH=false) switches them off.

Usage:  .venv/bin/python bench/kb_deflection.py [--quick] [--lexical] [--skip-speed] [--data ../shared/data]
        [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import multiprocessing
import os
import platform
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from supportops.app import create_app
from supportops.auth import service as accounts
from supportops.auth.enums import Role
from supportops.auth.principal import VISITOR, Principal
from supportops.auth.schemas import TokenCreate, UserCreate
from supportops.config import Settings, get_settings
from supportops.db.migrate import upgrade
from supportops.db.session import Database
from supportops.kit.clock import SystemClock
from supportops.knowledge import live, semantic
from supportops.knowledge import service as kb
from supportops.knowledge.enums import ArticleStatus, Visibility
from supportops.knowledge.schemas import ArticleCreate, SuggestRequest
from supportops.knowledge.search import SqliteFullText, prepare
from supportops.tickets import service as tickets
from supportops.tickets.enums import Status
from supportops.tickets.schemas import TicketCreate

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HINT3_BOTS = ("sofmattress", "curekart", "powerplay11")
HINT3_PLATFORMS = ("bert", "dialogflow", "haptik", "luis", "rasa")
HINT3_SPLITS = 3
"""Random intent splits per bot in a full run, pooled."""
THRESHOLDS = np.round(np.arange(0.0, 1.0005, 0.005), 3)
"""The no_match thresholds swept."""
WEIGHTS = np.round(np.arange(0.0, 1.0001, 0.05), 2)
"""The runner-up weights swept (``kb.confidence``: best score - weight * second best)."""
CURVE = (0.0, 0.1, 0.15, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4)
"""The thresholds whose calibration figures are printed."""
KEEP_MARGIN = 0.02
"""The deflection rule's threshold may cost at most this much in-scope accuracy (two correct answers
in a hundred hidden behind no_match)."""
VARIANTS = ("articles only", "articles + linked tickets")
PUBLISH_TIMEOUT = 5.0
"""Seconds a publish test waits for the new article to come first."""
ARTICLE_QUESTIONS = 20
"""Questions (sentences) an article is written from."""
Intents = dict[str, list[str]]


def now() -> datetime:
    return datetime.now(UTC)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# --- data ------------------------------------------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(text.split())


def grouped(pairs: Sequence[tuple[str, str]]) -> Intents:
    """Texts by intent, in file order."""
    out: Intents = {}
    for text, intent in pairs:
        out.setdefault(intent, []).append(one_line(text))
    return out


def read_csv(path: Path, text: str, label: str) -> Intents:
    with path.open(newline="", encoding="utf-8") as handle:
        return grouped([(row[text], row[label]) for row in csv.DictReader(handle)])


def read_clinc(path: Path) -> dict[str, list[tuple[str, str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: [(one_line(text), intent) for text, intent in data[key]] for key in data}


def title_of(intent: str) -> str:
    """``card_arrival`` -> ``Card arrival``."""
    return intent.replace("_", " ").strip().lower().capitalize()


def shuffled(items: Sequence[str], rng: random.Random) -> list[str]:
    out = list(items)
    rng.shuffle(out)
    return out


@dataclass(frozen=True)
class Draft:
    """An article to publish: a title and a Markdown body written from customers' questions."""

    key: str
    title: str
    body: str


def draft(key: str, title: str, questions: Sequence[str]) -> Draft:
    lines = "\n".join(f"- {q}" for q in questions)
    body = f"How we help with {title.lower()}.\n\nQuestions this answers:\n\n{lines}\n"
    return Draft(key=key, title=title, body=body)


# --- a help desk in-process ------------------------------------------------------------------------


def product_weight() -> float:
    """The runner-up weight the service applies in this process's suggestion mode."""
    return kb.RUNNER_UP_WEIGHT if semantic.embedder() is None else kb.RUNNER_UP_WEIGHT_SEMANTIC


@dataclass(frozen=True)
class Answer:
    """What /kb/suggest answered for one query, and the confidence its no_match rests on."""

    ids: list[int]
    scores: list[float]
    no_match: bool
    confidence: float | None
    """``kb.confidence`` of the scores at the runner-up weight this answer is judged with."""

    def weighted(self, weight: float) -> Answer:
        """The same answer judged with another runner-up weight."""
        return replace(self, confidence=kb.confidence(self.scores, runner_up_weight=weight))


def reweighted(answers: Sequence[Answer], weight: float) -> list[Answer]:
    return [a.weighted(weight) for a in answers]


@dataclass
class Desk:
    """A fresh migrated SQLite file, the app on it in-process, a lead who writes articles (and may
    change the KB settings) and a customer whose tickets get linked."""

    db: Database
    client: TestClient
    lead: Principal
    headers: dict[str, str]
    customer_id: int
    settings: Settings

    def publish(self, drafts: Sequence[Draft]) -> dict[str, int]:
        """Publish public articles through the service layer, 200 to a transaction: key -> id."""
        ids: dict[str, int] = {}
        for start in range(0, len(drafts), 200):
            with self.db.unit_of_work() as session:
                for d in drafts[start : start + 200]:
                    data = ArticleCreate(
                        title=d.title,
                        body=d.body,
                        visibility=Visibility.public,
                        status=ArticleStatus.published,
                    )
                    ids[d.key] = kb.create_article(session, actor=self.lead, data=data, now=now()).id
        return ids

    def link_tickets(self, phrases: Sequence[tuple[int, str]]) -> None:
        """For each (article id, text): the customer's ticket with that text, resolved by the lead and
        linked to the article, all through the services, 200 to a transaction."""
        for start in range(0, len(phrases), 200):
            with self.db.unit_of_work() as session:
                for article_id, text in phrases[start : start + 200]:
                    subject = text if len(text) <= 255 else text[:255].rsplit(" ", 1)[0]
                    data = TicketCreate(
                        subject=subject,
                        description=text,
                        requester_id=self.customer_id,
                        assignee_id=self.lead.user_id,
                    )
                    at = now()
                    ticket_id = tickets.create_ticket(
                        session, actor=self.lead, data=data, now=at, settings=self.settings
                    ).id
                    ticket = tickets.get_ticket(
                        session, actor=self.lead, ticket_id=ticket_id, for_update=True
                    )
                    tickets.transition(
                        session,
                        actor=self.lead,
                        ticket=ticket,
                        to=Status.resolved,
                        now=at,
                        settings=self.settings,
                    )
                    kb.link_ticket(
                        session, actor=self.lead, article_id=article_id, ticket_id=ticket_id, now=at
                    )

    def suggest(self, text: str) -> Answer:
        """POST /api/v1/kb/suggest as a signed-out visitor, the text as the subject."""
        response = self.client.post("/api/v1/kb/suggest", json={"subject": text, "description": ""})
        response.raise_for_status()
        body = response.json()
        ids = [s["article_id"] for s in body["suggestions"]]
        scores = [s["score"] for s in body["suggestions"]]
        sure = kb.confidence(scores, runner_up_weight=product_weight())
        return Answer(ids=ids, scores=scores, no_match=body["no_match"], confidence=sure)

    def suggest_all(self, texts: Sequence[str]) -> list[Answer]:
        return [self.suggest(t) for t in texts]

    def full_text_ids(self, texts: Sequence[str], limit: int = 3) -> list[list[int]]:
        """The SQLite FTS5 backend alone (BM25, title 5:1), with the product's query preparation (typo
        correction, synonyms). GET /kb/search adds the suggestion index's matches when full text finds
        fewer than ``limit``, so it is not a plain baseline."""
        out: list[list[int]] = []
        backend = SqliteFullText()
        with self.db.unit_of_work(write=False) as session:
            synonyms = kb.settings_of(session).synonyms
            _index, known = live.current(session)
            for text in texts:
                query = prepare(text, vocabulary=known, synonyms=synonyms)
                hits = backend.search(session, query, public_only=True, limit=limit)
                out.append([h.article_id for h in hits])
        return out

    def set_threshold(self, value: float) -> None:
        response = self.client.put(
            "/api/v1/kb/settings", json={"no_match_threshold": value}, headers=self.headers
        )
        response.raise_for_status()


@contextmanager
def open_desk(template: Path, path: Path, *, served: bool = False) -> Iterator[Desk]:
    """A copy of the migrated template at ``path`` with the app on it (system clock, no worker);
    ``served``: the app as ``supportops serve`` runs it (it warms up, then settles its long-lived
    objects out of the cycle collector's reach)."""
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    db = Database.from_url(url, pool_size=5)
    settings = Settings(database_url=url, run_worker_in_serve=False, metrics_cache_dir=None)
    with db.unit_of_work() as session:
        lead = accounts.create_user_unchecked(
            session, data=UserCreate(email="lead@kb.example.com", name="Lead", role=Role.lead), now=now()
        )
        token = accounts.issue_token(session, user=lead, data=TokenCreate(name="bench"), now=now())
        customer = accounts.create_user_unchecked(
            session, data=UserCreate(email="ann@kb.example.com", name="Ann"), now=now()
        )
        principal = accounts.principal_for(session, lead)
    app = create_app(settings, clock=SystemClock(), db=db, run_worker=False, warm_up=served)
    try:
        with TestClient(app) as client:
            yield Desk(
                db=db,
                client=client,
                lead=principal,
                headers={"Authorization": f"Bearer {token.secret}"},
                customer_id=customer.id,
                settings=settings,
            )
    finally:
        live.forget()
        db.engine.dispose()


# --- scoring ---------------------------------------------------------------------------------------


def hit_at(answers: Sequence[Answer | list[int]], expected: Sequence[int], k: int) -> float:
    found = [(a.ids if isinstance(a, Answer) else a)[:k] for a in answers]
    return sum(e in ids for ids, e in zip(found, expected, strict=True)) / len(expected)


def accepted(answer: Answer, threshold: float) -> bool:
    return answer.confidence is not None and answer.confidence >= threshold


def in_scope_accuracy(answers: Sequence[Answer], expected: Sequence[int], threshold: float) -> float:
    """Top suggestion right and not rejected."""
    right = [accepted(a, threshold) and a.ids[0] == e for a, e in zip(answers, expected, strict=True)]
    return sum(right) / len(right)


def oos_recall(answers: Sequence[Answer], threshold: float) -> float:
    return sum(not accepted(a, threshold) for a in answers) / len(answers)


def best_oos_recall_at(
    in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer], target: float
) -> tuple[float, float] | None:
    """(threshold, OOS recall) of the highest threshold keeping in-scope accuracy >= ``target``; None
    when even no rejection stays below the target."""
    best = None
    for t in THRESHOLDS:
        if in_scope_accuracy(in_scope, expected, t) >= target:
            best = (float(t), oos_recall(oos, t))
    return best


# --- 1. BANKING77 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Banking:
    drafts: list[Draft]
    queries: list[tuple[str, str]]
    """(intent, question) held out: the test queries."""
    validation: list[tuple[str, str]]
    loop: list[tuple[str, str]]
    """(intent, question) pairs that become linked tickets."""


def split_banking(intents: Intents, seed: int) -> Banking:
    """Per intent, shuffled with the seed: 30 queries, 20 article questions, 10 validation questions,
    the rest linked tickets. The three intents with fewer than 60 questions give a third each to the
    queries and the article, and split the rest between validation and tickets."""
    drafts, queries, validation, loop = [], [], [], []
    for intent in sorted(intents):
        questions = shuffled(intents[intent], random.Random(f"{seed}:{intent}"))
        n = len(questions)
        held, written = (30, ARTICLE_QUESTIONS) if n >= 60 else (n // 3, n // 3)
        rest = questions[held + written :]
        valid = min(10, len(rest) // 2)
        drafts.append(draft(intent, title_of(intent), questions[held : held + written]))
        queries += [(intent, q) for q in questions[:held]]
        validation += [(intent, q) for q in rest[:valid]]
        loop += [(intent, q) for q in rest[valid:]]
    return Banking(drafts, queries, validation, loop)


@dataclass
class BankingResult:
    hits: dict[str, tuple[float, float]]
    """Variant -> (hit@1, hit@3) on the held-out queries."""
    validation: tuple[float, float]
    """(hit@1, hit@3) on the validation queries, with the linked tickets."""
    full_text: tuple[float, float]
    answers: list[Answer]
    """The held-out queries with the linked tickets, for the rejection rate at a threshold."""
    valid_answers: list[Answer]


def run_banking(template: Path, folder: Path, data: Path, seed: int, step: int) -> BankingResult:
    split = split_banking(read_csv(data / "banking77" / "train.csv", "text", "category"), seed)
    queries, validation, loop = split.queries[::step], split.validation[::step], split.loop[::step]
    print(
        f"\n## BANKING77: {len(split.drafts)} articles, {len(queries)} held-out queries,"
        f" {len(validation)} validation queries, {len(loop)} linked tickets"
    )
    with open_desk(template, folder / "banking77.db") as desk:
        ids = desk.publish(split.drafts)
        expected = [ids[intent] for intent, _ in queries]
        texts = [q for _, q in queries]
        hits = {}
        for variant in VARIANTS:
            if variant != VARIANTS[0]:
                start = time.perf_counter()
                desk.link_tickets([(ids[intent], q) for intent, q in loop])
                print(
                    f"({len(loop)} tickets created, resolved and linked in {time.perf_counter() - start:.0f} s)"
                )
            answers = desk.suggest_all(texts)
            hits[variant] = (hit_at(answers, expected, 1), hit_at(answers, expected, 3))
            print(f"{variant}: hit@1 {hits[variant][0]:.4f}  hit@3 {hits[variant][1]:.4f}")
        valid_answers = desk.suggest_all([q for _, q in validation])
        valid_expected = [ids[intent] for intent, _ in validation]
        full_text = desk.full_text_ids(texts)
    result = BankingResult(
        hits=hits,
        validation=(hit_at(valid_answers, valid_expected, 1), hit_at(valid_answers, valid_expected, 3)),
        full_text=(hit_at(full_text, expected, 1), hit_at(full_text, expected, 3)),
        answers=answers,
        valid_answers=valid_answers,
    )
    print(f"validation, with the tickets: hit@1 {result.validation[0]:.4f}  hit@3 {result.validation[1]:.4f}")
    print(f"baseline, FTS5 BM25 alone: hit@1 {result.full_text[0]:.4f}  hit@3 {result.full_text[1]:.4f}")
    return result


# --- 2. CLINC150 -----------------------------------------------------------------------------------


def balanced_threshold(in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer]) -> float:
    """The threshold maximising in-scope accuracy + OOS recall (both count equally, however many
    queries of each kind there are); the lowest such threshold on a tie."""
    scores = [in_scope_accuracy(in_scope, expected, t) + oos_recall(oos, t) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


def deflection_threshold(in_scope: Sequence[Answer], expected: Sequence[int]) -> float:
    """The highest threshold that keeps in-scope accuracy within ``KEEP_MARGIN`` of what no rejection
    gives: no_match hides the suggestions, so each wrong rejection is a lost deflection."""
    floor = in_scope_accuracy(in_scope, expected, 0.0) - KEEP_MARGIN
    return float(max(t for t in THRESHOLDS if in_scope_accuracy(in_scope, expected, t) >= floor))


@dataclass
class OosFigures:
    threshold: float
    in_scope_accuracy: float
    oos_recall: float
    oos_precision: float
    top1: float
    """In-scope top-1 accuracy with no rejection."""


def oos_figures(
    in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer], threshold: float
) -> OosFigures:
    rejected_oos = sum(not accepted(a, threshold) for a in oos)
    rejected = rejected_oos + sum(not accepted(a, threshold) for a in in_scope)
    return OosFigures(
        threshold=threshold,
        in_scope_accuracy=in_scope_accuracy(in_scope, expected, threshold),
        oos_recall=rejected_oos / len(oos),
        oos_precision=rejected_oos / rejected if rejected else 0.0,
        top1=in_scope_accuracy(in_scope, expected, 0.0),
    )


def curve_area(in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer]) -> float:
    """Area under OOS recall against in-scope accuracy over the swept thresholds: every operating
    point at once (the higher, the better the confidence separates right answers from the rest)."""
    points = sorted((in_scope_accuracy(in_scope, expected, t), oos_recall(oos, t)) for t in THRESHOLDS)
    return float(np.trapezoid([r for _, r in points], [a for a, _ in points]))


@dataclass
class WeightFigures:
    """A runner-up weight on the calibration queries: its deflection-rule threshold and figures."""

    weight: float
    threshold: float
    in_scope_accuracy: float
    oos_recall: float
    area: float


def weigh(in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer]) -> list[WeightFigures]:
    """Each runner-up weight of ``WEIGHTS`` with its deflection-rule threshold."""
    out = []
    for weight in WEIGHTS:
        mine, theirs = reweighted(in_scope, float(weight)), reweighted(oos, float(weight))
        t = deflection_threshold(mine, expected)
        out.append(
            WeightFigures(
                weight=float(weight),
                threshold=t,
                in_scope_accuracy=in_scope_accuracy(mine, expected, t),
                oos_recall=oos_recall(theirs, t),
                area=curve_area(mine, expected, theirs),
            )
        )
    return out


def recommended_weight(figures: Sequence[WeightFigures]) -> WeightFigures:
    """The weight whose deflection-rule threshold rejects the most out-of-scope calibration queries
    (the product's operating point); on a tie the larger area under the curve, then the smaller weight."""
    return max(figures, key=lambda f: (f.oos_recall, f.area, -f.weight))


@dataclass
class ClincResult:
    calibration: dict[str, dict[str, OosFigures]]
    """Variant -> rule -> figures on the calibration queries at the threshold that rule chose."""
    val: dict[str, OosFigures]
    """Rule -> figures on val + oos_val, with the linked tickets, at that rule's threshold."""
    weights: list[WeightFigures]
    """The runner-up weights swept on the calibration queries, with the linked tickets."""

    @property
    def threshold(self) -> float:
        """The recommended no_match threshold: the deflection rule, with the linked tickets."""
        return self.val["deflection"].threshold

    @property
    def weight(self) -> WeightFigures:
        """The recommended runner-up weight."""
        return recommended_weight(self.weights)


def print_curve(in_scope: Sequence[Answer], expected: Sequence[int], oos: Sequence[Answer]) -> None:
    cells = [
        f"{t:.3f}: {in_scope_accuracy(in_scope, expected, t):.3f} / {oos_recall(oos, t):.3f}" for t in CURVE
    ]
    print("  threshold: in-scope accuracy / OOS recall  " + "  ".join(cells))


def run_clinc(template: Path, folder: Path, data: Path, seed: int, step: int) -> ClincResult:
    """Articles from 20 train sentences per intent; 10 more per intent (with oos_train) calibrate;
    then 50 more per intent become linked tickets (the index reads at most 50 per article), the
    threshold is calibrated again and set through the settings API, and val + oos_val are judged."""
    clinc = read_clinc(data / "clinc150" / "data_full_train_val.json")
    drafts, calibration, loop = [], [], []
    for intent, sentences in sorted(grouped(clinc["train"]).items()):
        sentences = shuffled(sentences, random.Random(f"{seed}:{intent}"))
        drafts.append(draft(intent, title_of(intent), sentences[:ARTICLE_QUESTIONS]))
        calibration += [(intent, s) for s in sentences[ARTICLE_QUESTIONS : ARTICLE_QUESTIONS + 10]]
        loop += [(intent, s) for s in sentences[ARTICLE_QUESTIONS + 10 : ARTICLE_QUESTIONS + 60]]
    calibration, loop, val = calibration[::step], loop[::step], clinc["val"][::step]
    oos_train, oos_val = [t for t, _ in clinc["oos_train"]], [t for t, _ in clinc["oos_val"]]
    plus = json.loads((data / "clinc150" / "oos_plus_train.json").read_text(encoding="utf-8"))
    oos_plus = [one_line(text) for text, _ in plus["oos_train_plus"]]
    print(
        f"\n## CLINC150: {len(drafts)} articles; calibration on {len(calibration)} held-out train sentences +"
        f" {len(oos_train)} oos_train; {len(loop)} other train sentences as linked tickets in the second"
        f" variant; judged on {len(val)} val + {len(oos_val)} oos_val"
    )
    calibrated: dict[str, dict[str, OosFigures]] = {}
    with open_desk(template, folder / "clinc150.db") as desk:
        ids = desk.publish(drafts)
        expected = [ids[intent] for intent, _ in calibration]
        for variant in VARIANTS:
            if variant != VARIANTS[0]:
                desk.link_tickets([(ids[intent], s) for intent, s in loop])
            in_scope, oos = desk.suggest_all([s for _, s in calibration]), desk.suggest_all(oos_train)
            rules = {
                "deflection": deflection_threshold(in_scope, expected),
                "balanced": balanced_threshold(in_scope, expected, oos),
            }
            calibrated[variant] = {rule: oos_figures(in_scope, expected, oos, t) for rule, t in rules.items()}
            print(
                f"{variant}, calibration: top-1 with no rejection {calibrated[variant]['deflection'].top1:.4f}"
            )
            print_curve(in_scope, expected, oos)
            for rule, f in calibrated[variant].items():
                print(
                    f"  {rule} rule: threshold {f.threshold:.3f}, in-scope accuracy {f.in_scope_accuracy:.4f},"
                    f" OOS recall {f.oos_recall:.4f}"
                )
        weights = weigh(in_scope, expected, desk.suggest_all(oos_plus))
        chosen = recommended_weight(weights)
        print(
            f"runner-up weights (confidence = best - weight * second best; the service's is {product_weight():.2f}),"
            f" calibration with tickets and the {len(oos_plus)} OOS+ out-of-scope train queries, deflection rule:"
        )
        print("| weight | threshold | in-scope acc | OOS recall | area under the curve |")
        for f in weights:
            mark = " (recommended)" if f is chosen else ""
            print(
                f"| {f.weight:.2f}{mark} | {f.threshold:.3f} | {f.in_scope_accuracy:.4f} | {f.oos_recall:.4f} | {f.area:.5f} |"
            )
        desk.set_threshold(rules["deflection"])
        val_expected = [ids[intent] for _, intent in val]
        val_in, val_oos = desk.suggest_all([t for t, _ in val]), desk.suggest_all(oos_val)
    agree = all(a.no_match == (not accepted(a, rules["deflection"])) for a in val_in + val_oos)
    result = ClincResult(
        calibration=calibrated,
        val={rule: oos_figures(val_in, val_expected, val_oos, t) for rule, t in rules.items()},
        weights=weights,
    )
    print(
        f"val, with the tickets: top-1 with no rejection {result.val['deflection'].top1:.4f}; no_match flags agree: {agree}"
    )
    for rule, f in result.val.items():
        print(
            f"  {rule} rule, threshold {f.threshold:.3f}: in-scope accuracy {f.in_scope_accuracy:.4f},"
            f" OOS recall {f.oos_recall:.4f}, OOS precision {f.oos_precision:.4f}"
        )
    print(
        "published (test set, Larson et al. 2019, oos-threshold): BERT 96.2 / 52.3, MLP 93.4 / 49.1, DialogFlow 90.8 / 26.7"
    )
    return result


# --- 3. HINT3 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    platform: str
    threshold: float
    in_scope_accuracy: float
    oos_recall: float


def published_rows(folder: Path, bot: str) -> list[Published]:
    """Each platform's row with the best overall test accuracy (the test-tuned threshold that
    research/datasets.md quotes)."""
    rows = []
    for name in HINT3_PLATFORMS:
        with (folder / f"{name}_{bot}.csv").open(newline="", encoding="utf-8") as handle:
            best = max(csv.DictReader(handle), key=lambda r: float(r["Accuracy"]))
        rows.append(
            Published(
                name, float(best["Threshold"]), float(best["Inscope Accuracy"]), float(best["OOS Recall"])
            )
        )
    return rows


@dataclass
class Hint3Result:
    bot: str
    in_scope: int
    oos: int
    top1: float
    at_default: tuple[float, float]
    """(in-scope accuracy, OOS recall) at the threshold calibrated on CLINC150."""
    comparisons: list[tuple[Published, tuple[float, float] | None, tuple[float, float] | None]]
    """Each platform's row, with our (threshold, OOS recall) at its in-scope accuracy, then the same
    with the top score alone as the confidence (runner-up weight 0, the rule before), same answers."""

    @property
    def best(self) -> tuple[Published, tuple[float, float] | None, tuple[float, float] | None]:
        return max(self.comparisons, key=lambda c: c[0].oos_recall)


def shown(ours: tuple[float, float] | None) -> str:
    return "unreachable" if ours is None else f"{ours[0]:.3f}, {ours[1]:.4f}"


def run_hint3(
    template: Path, folder: Path, data: Path, seeds: Sequence[int], threshold: float
) -> list[Hint3Result]:
    print(
        f"\n## HINT3 v1: a quarter of the intents held out as out of scope, half of each other intent's"
        f" sentences as the article, half as queries; pooled over {len(seeds)} random splits"
    )
    results = []
    for bot in HINT3_BOTS:
        intents = read_csv(data / "hint3" / "v1" / f"{bot}_train.csv", "sentence", "label")
        in_scope: list[Answer] = []
        expected: list[int] = []
        oos: list[Answer] = []
        for seed in seeds:
            rng = random.Random(f"{seed}:{bot}")
            names = shuffled(sorted(intents), rng)
            held_out = set(names[: round(len(names) / 4)])
            drafts, queries = [], []
            for intent in sorted(set(names) - held_out):
                sentences = shuffled(intents[intent], rng)
                half = (len(sentences) + 1) // 2
                drafts.append(draft(intent, title_of(intent), sentences[:half]))
                queries += [(intent, s) for s in sentences[half:]]
            with open_desk(template, folder / f"hint3_{bot}_{seed}.db") as desk:
                ids = desk.publish(drafts)
                in_scope += desk.suggest_all([s for _, s in queries])
                expected += [ids[intent] for intent, _ in queries]
                oos += desk.suggest_all([s for intent in sorted(held_out) for s in intents[intent]])
        top_only = reweighted(in_scope, 0.0)
        result = Hint3Result(
            bot=bot,
            in_scope=len(in_scope),
            oos=len(oos),
            top1=hit_at(in_scope, expected, 1),
            at_default=(in_scope_accuracy(in_scope, expected, threshold), oos_recall(oos, threshold)),
            comparisons=[
                (
                    row,
                    best_oos_recall_at(in_scope, expected, oos, row.in_scope_accuracy),
                    best_oos_recall_at(top_only, expected, reweighted(oos, 0.0), row.in_scope_accuracy),
                )
                for row in published_rows(data / "hint3" / "published_results_v1", bot)
            ],
        )
        results.append(result)
        print(
            f"\n{bot}: {result.in_scope} in-scope and {result.oos} out-of-scope queries; top-1 with no rejection"
            f" {result.top1:.4f}; at threshold {threshold:.3f}: in-scope accuracy {result.at_default[0]:.4f},"
            f" OOS recall {result.at_default[1]:.4f}"
        )
        print(
            "| platform (thr) | in-scope acc | OOS recall | ours at that in-scope acc: thr, OOS recall"
            " | the same, top score alone |"
        )
        for row, ours, before in result.comparisons:
            print(
                f"| {row.platform} ({row.threshold:.1f}) | {row.in_scope_accuracy:.4f} | {row.oos_recall:.4f}"
                f" | {shown(ours)} | {shown(before)} |"
            )
    return results


# --- 4. speed --------------------------------------------------------------------------------------


def synthetic_drafts(data: Path, count: int, seed: int) -> list[Draft]:
    """``count`` distinct articles, each a title and 15 sentences sampled (with the seed) from one
    intent of BANKING77, CLINC150 (train) or Bitext; the n-th article of an intent is "note n"."""
    pools = {
        f"banking77 {k}": v for k, v in read_csv(data / "banking77" / "train.csv", "text", "category").items()
    }
    clinc = read_clinc(data / "clinc150" / "data_full_train_val.json")
    pools |= {f"clinc150 {k}": v for k, v in grouped(clinc["train"]).items()}
    bitext = data / "bitext_customer_support" / "bitext_customer_support_training_4514.csv"
    pools |= {f"bitext {k}": v for k, v in read_csv(bitext, "instruction", "intent").items()}
    keys = sorted(pools)
    rng = random.Random(seed)
    drafts = []
    for n in range(count):
        key = keys[n % len(keys)]
        title = f"{title_of(key.split(' ', 1)[1])}, note {n // len(keys) + 1}"
        drafts.append(draft(str(n), title, rng.sample(pools[key], 15)))
    return drafts


def timed(call: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    """Milliseconds of ``call`` on each text."""
    out = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def top_id(ids: Sequence[int]) -> int | None:
    return ids[0] if ids else None


def top_suggestion(db: Database, text: str) -> int | None:
    """The service call of /kb/suggest for a visitor, in-process: the top article's id."""
    with db.unit_of_work() as session:
        response = kb.suggest(session, actor=VISITOR, data=SuggestRequest(subject=text), now=now())
    return response.suggestions[0].article_id if response.suggestions else None


def wait_for_top(ask: Callable[[str], int | None], article_id: int, title: str, start: float) -> float | None:
    """Seconds from ``start`` (time.monotonic) until ``ask(title)`` puts the article first; None when
    that takes longer than PUBLISH_TIMEOUT."""
    while time.monotonic() - start < PUBLISH_TIMEOUT:
        if ask(title) == article_id:
            return time.monotonic() - start
        time.sleep(0.005)
    return None


def follow(url: str, conn: Connection) -> None:
    """The second process of the publish test: its own index over the same file, told of changes only
    by its probe every live.CHECK_SECONDS. Sent (article id, title, start), it answers how long after
    ``start`` the article became its top suggestion; None stops it.

    Its index is built in a read transaction: /kb/suggest builds it inside its write transaction,
    which on SQLite holds the write lock for the whole build, and the first process's build already
    does (see docs/benchmarks.md)."""
    db = Database.from_url(url, pool_size=2)
    with db.unit_of_work(write=False) as session:
        live.current(session)
    conn.send("ready")
    while (job := conn.recv()) is not None:
        article_id, title, start = job
        conn.send(wait_for_top(lambda text: top_suggestion(db, text), article_id, title, start))
    db.engine.dispose()


def invented_word(rng: random.Random) -> str:
    consonants, vowels = "bdfgklmnprstvxz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(4)).capitalize()


@dataclass
class SpeedResult:
    articles: int
    published_seconds: float
    build_seconds: float
    http: list[float]
    service: list[float]
    index: list[float]
    searchable: list[float | None]
    """Seconds from the POST to the new article as top suggestion in this process (None: never)."""
    searchable_other: list[float | None]
    """The same in the second process."""


def run_speed(template: Path, folder: Path, data: Path, seed: int, quick: bool) -> SpeedResult:
    count, queries_n, publishes = (500, 200, 5) if quick else (10_000, 1_000, 20)
    clinc = read_clinc(data / "clinc150" / "data_full_train_val.json")
    queries = shuffled([t for t, _ in clinc["val"] + clinc["oos_val"]], random.Random(seed))
    warm, measured = queries[:50], queries[50 : 50 + queries_n]
    in_process = measured[: queries_n // 2]
    print(
        f"\n## Speed: {count} published articles; {queries_n} /kb/suggest queries (CLINC150 val and oos_val)"
        f" after 50 warm-up, the first {len(in_process)} of them in-process too; {publishes} publishes"
    )
    path = folder / "speed.db"
    with open_desk(template, path, served=True) as desk:
        start = time.perf_counter()
        desk.publish(synthetic_drafts(data, count, seed))
        published = time.perf_counter() - start
        # The second process builds its index while this one builds its own, as two workers would.
        spawn = multiprocessing.get_context("spawn")
        conn, other_end = spawn.Pipe()
        follower = spawn.Process(target=follow, args=(f"sqlite:///{path}", other_end))
        follower.start()
        other_end.close()
        start = time.perf_counter()
        desk.suggest("warm up")
        build = time.perf_counter() - start
        conn.recv()
        timed(desk.suggest, warm)
        http = timed(desk.suggest, measured)
        service = timed(lambda text: top_suggestion(desk.db, text), in_process)
        with desk.db.unit_of_work(write=False) as session:
            index, _known = live.current(session)
        index_only = timed(lambda text: index.search(text, public_only=True, limit=3), in_process)
        rng = random.Random(seed)
        searchable: list[float | None] = []
        searchable_other: list[float | None] = []
        for _ in range(publishes):
            name = invented_word(rng)
            title = f"Pair the {name} tracker with your account"
            body = f"The {name} tracker pairs in the app under Devices.\n\nHold its button for five seconds first."
            start = time.monotonic()
            response = desk.client.post(
                "/api/v1/kb/articles",
                json={"title": title, "body": body, "visibility": "public", "status": "published"},
                headers=desk.headers,
            )
            response.raise_for_status()
            new_id = response.json()["id"]
            conn.send((new_id, title, start))
            searchable.append(wait_for_top(lambda text: top_id(desk.suggest(text).ids), new_id, title, start))
            searchable_other.append(conn.recv())
            time.sleep(live.CHECK_SECONDS)
        conn.send(None)
        follower.join()
    result = SpeedResult(count, published, build, http, service, index_only, searchable, searchable_other)
    print(f"published in {published:.0f} s (service layer); first query, building the index: {build:.1f} s")
    for name, values in (
        ("HTTP /kb/suggest", http),
        ("service.suggest", service),
        ("ArticleIndex.search", index_only),
    ):
        print(
            f"{name}: p50 {percentile(values, 50):.2f} ms  p99 {percentile(values, 99):.2f} ms  max {max(values):.2f} ms"
        )
    for name, waits in (("this process", searchable), ("second process", searchable_other)):
        found = [v for v in waits if v is not None]
        shown = (
            f"max {max(found) * 1000:.0f} ms, median {percentile(found, 50) * 1000:.0f} ms" if found else ""
        )
        print(
            f"publish -> top suggestion, {name}: {len(found)}/{len(waits)} within {PUBLISH_TIMEOUT:.0f} s; {shown}"
        )
    return result


# --- report ----------------------------------------------------------------------------------------


def seconds_max(values: Sequence[float | None]) -> str:
    found = [v for v in values if v is not None]
    missing = len(values) - len(found)
    text = f"{max(found) * 1000:.0f} ms" if found else "-"
    return text + (f" ({missing} of {len(values)} never found)" if missing else "")


def rejected_share(answers: Sequence[Answer], threshold: float) -> float:
    return sum(not accepted(a, threshold) for a in answers) / len(answers)


def summary(
    mode: str, bank: BankingResult, clinc: ClincResult, hint3: list[Hint3Result], speed: SpeedResult | None
) -> None:
    print(f"\n## Summary ({mode})\n")
    print("| measure | result | goal or reference |")
    print("| --- | --- | --- |")
    for variant, (h1, h3) in bank.hits.items():
        print(f"| BANKING77 {variant}: hit@1 / hit@3 | {h1:.3f} / {h3:.3f} | ≥ 0.85 / ≥ 0.95 |")
    print(
        f"| BANKING77 FTS5 BM25 alone: hit@1 / hit@3 | {bank.full_text[0]:.3f} / {bank.full_text[1]:.3f} | baseline |"
    )
    for rule, f in clinc.val.items():
        print(
            f"| BANKING77 in-scope queries answered no_match at {f.threshold:.3f} ({rule} rule), test / validation |"
            f" {rejected_share(bank.answers, f.threshold):.3f} / {rejected_share(bank.valid_answers, f.threshold):.3f} | low |"
        )
    for variant, rules in clinc.calibration.items():
        f = rules["deflection"]
        print(
            f"| CLINC150 calibration, {variant}: top-1, deflection threshold, in-scope acc / OOS recall |"
            f" {f.top1:.3f}, {f.threshold:.3f}, {f.in_scope_accuracy:.3f} / {f.oos_recall:.3f} | |"
        )
    for rule, f in clinc.val.items():
        mark = " (recommended)" if rule == "deflection" else ""
        print(
            f"| CLINC150 val, {rule} threshold {f.threshold:.3f}{mark}: in-scope acc / OOS recall / OOS precision |"
            f" {f.in_scope_accuracy:.3f} / {f.oos_recall:.3f} / {f.oos_precision:.3f} (top-1 {f.top1:.3f}) |"
            " BERT oos-threshold 0.962 / 0.523 (test) |"
        )
    for r in hint3:
        row, ours, before = r.best
        mine = "unreachable" if ours is None else f"{ours[1]:.3f} (thr {ours[0]:.3f})"
        old = "unreachable" if before is None else f"{before[1]:.3f}"
        print(
            f"| HINT3 {r.bot}: OOS recall at in-scope acc {row.in_scope_accuracy:.3f} | {mine}; top score alone"
            f" {old} | {row.platform} {row.oos_recall:.3f} (test) |"
        )
    if speed is not None:
        for name, values in (("HTTP", speed.http), ("service", speed.service), ("index", speed.index)):
            print(
                f"| /kb/suggest latency, {name}, {speed.articles} articles: p50 / p99 |"
                f" {percentile(values, 50):.1f} / {percentile(values, 99):.1f} ms | p99 < 20 ms (HTTP) |"
            )
        print(f"| publish -> top suggestion, this process: max | {seconds_max(speed.searchable)} | < 1 s |")
        print(
            f"| publish -> top suggestion, second process: max | {seconds_max(speed.searchable_other)} | < 1 s |"
        )
    suffix = "" if mode == "lexical" else "_SEMANTIC"
    print(
        f"\nrecommended NO_MATCH_THRESHOLD{suffix} = {clinc.threshold:.3f} at the service's runner-up weight"
        f" {product_weight():.2f} (deflection rule, CLINC150 calibration, with tickets)"
    )
    f = clinc.weight
    print(
        f"recommended RUNNER_UP_WEIGHT{suffix} = {f.weight:.2f} (its deflection threshold {f.threshold:.3f}"
        f" rejects {f.oos_recall:.3f} of the OOS+ out-of-scope train queries; the threshold follows the weight)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a sixth of the queries and tickets, one HINT3 split, 500 articles",
    )
    parser.add_argument(
        "--lexical",
        action="store_true",
        help="switch the word embeddings off (SUPPORTOPS_SEMANTIC_SEARCH=false); by default the product's setting",
    )
    parser.add_argument("--speed-only", action="store_true", help="only the speed part (4.)")
    parser.add_argument("--skip-speed", action="store_true", help="the quality parts only (1. to 3.)")
    args = parser.parse_args()
    if args.lexical:
        os.environ["SUPPORTOPS_SEMANTIC_SEARCH"] = "false"
        get_settings.cache_clear()
    needed = [
        "banking77/train.csv",
        "clinc150/data_full_train_val.json",
        "clinc150/oos_plus_train.json",
        "hint3/v1",
        "bitext_customer_support",
    ]
    missing = [name for name in needed if not (args.data / name).exists()]
    if missing:
        print(f"skipped: {', '.join(missing)} not found under {args.data}")
        return
    embedder = semantic.embedder()
    logging.getLogger().setLevel(logging.WARNING)  # importing wordllama sets the root logger to INFO
    mode = "lexical" if embedder is None else f"lexical + {embedder.name}"
    print(
        f"# kb_deflection{' --quick' if args.quick else ''}, seed {args.seed}, {mode}: Python"
        f" {platform.python_version()}, {os.cpu_count()} CPUs, live.CHECK_SECONDS {live.CHECK_SECONDS}"
    )
    step = 6 if args.quick else 1
    seeds = [args.seed] if args.quick else list(range(args.seed, args.seed + HINT3_SPLITS))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kb_deflection_") as tmp:
        folder = Path(tmp)
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        if args.speed_only:
            run_speed(template, folder, args.data, args.seed, args.quick)
            return
        bank = run_banking(template, folder, args.data, args.seed, step)
        print(f"({time.perf_counter() - started:.0f} s so far)")
        clinc = run_clinc(template, folder, args.data, args.seed, step)
        print(f"({time.perf_counter() - started:.0f} s so far)")
        hint3 = run_hint3(template, folder, args.data, seeds, clinc.threshold)
        print(f"({time.perf_counter() - started:.0f} s so far)")
        speed = None if args.skip_speed else run_speed(template, folder, args.data, args.seed, args.quick)
    summary("lexical" if embedder is None else "semantic", bank, clinc, hint3, speed)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
