"""Shared fixtures: the project's trained pipeline (trained once if stale) and tiny projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_config
from nlu.pipeline import Pipeline, load_pipeline, train_model
from tests.factories import write_project


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The project's own config.yml."""
    return load_config()


@pytest.fixture(scope="session")
def pipeline(settings: Settings) -> Pipeline:
    """The project's NLU model, trained first if the data or config changed."""
    train_model(settings)
    return load_pipeline(settings)


@pytest.fixture(scope="session")
def mini_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny project with three intents; returns its config path."""
    return write_project(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini_pipeline(mini_project: Path) -> Pipeline:
    """A pipeline trained on the tiny project and saved to its model directory."""
    s = load_config(mini_project)
    train_model(s)
    return load_pipeline(s)


@pytest.fixture()
def make_engine(settings, pipeline, tmp_path):
    """Build engines on one SQLite file (calling it again simulates a restart)."""
    from bot.engine import Engine
    from bot.store import open_db

    db_path = tmp_path / "linli.db"

    def build():
        return Engine.from_settings(settings, db=open_db(db_path), pipeline=pipeline)

    return build
