"""Chinese NLU: text in, ``ParseResult`` out."""

from __future__ import annotations

from nlu.pipeline import Pipeline, load_pipeline, train_model
from nlu.result import ParseResult

__all__ = ["ParseResult", "Pipeline", "load_pipeline", "train_model"]
