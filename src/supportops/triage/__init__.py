"""Ticket triage: a text classifier trained on resolved tickets that suggests a category with a
confidence, so that a ticket below the threshold goes to a person instead of being guessed.

The classifier modules are pure: plain texts and labels in, predictions and bytes out. ``models``,
``service``, ``handlers`` and ``routes`` store models and rules and triage tickets as they open.
"""

from supportops.triage.classifier import Alternative, Prediction, TrainedModel, TrainingMetrics, train
from supportops.triage.data import Split, stratified_split
from supportops.triage.embedding import Embedder
from supportops.triage.errors import EmbeddingsUnavailable, InvalidTriageData, ModelFormatError
from supportops.triage.evaluation import ClassRow, Evaluation, ThresholdRow, evaluate, score

__all__ = [
    "Alternative",
    "ClassRow",
    "Embedder",
    "EmbeddingsUnavailable",
    "Evaluation",
    "InvalidTriageData",
    "ModelFormatError",
    "Prediction",
    "Split",
    "ThresholdRow",
    "TrainedModel",
    "TrainingMetrics",
    "evaluate",
    "score",
    "stratified_split",
    "train",
]
