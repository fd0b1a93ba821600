"""Linli 邻里助手: channels, configuration, errors and the command line."""

from __future__ import annotations

from bot.config import Settings, load_config
from bot.errors import ChatbotError, ConfigError

__all__ = ["ChatbotError", "ConfigError", "Settings", "load_config"]
