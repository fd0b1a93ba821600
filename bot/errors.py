"""The exceptions Linli raises on purpose.

Every error we expect and can explain descends from ``ChatbotError``. ``str(exc)`` is an
English sentence for operators (it names the file, key or line at fault); ``code`` is a
stable identifier for logs; ``user_message`` is the kind Chinese sentence a person sees.

    ChatbotError (E000)
    ├── ConfigError (E101)          config.yml is missing, malformed or has a bad key/value
    ├── TrainingDataError (E102)    nlu/data YAML is malformed
    ├── ModelNotTrainedError (E201) no trained NLU model where the config says
    ├── ModelError (E202)           the saved model is unreadable or from another version
    ├── FlowError (E103)            dialogues/flows has invalid flows
    ├── KnowledgeBaseError (E301)   knowledge content is invalid or the knowledge tables unreadable
    └── HandoffError (E401)         a ticket operation is not allowed
"""

from __future__ import annotations

from bot import messages


class ChatbotError(Exception):
    """Base for failures we expect and can explain. str() is for operators."""

    code = "E000"
    user_message = messages.SORRY_GENERIC


class ConfigError(ChatbotError):
    """config.yml cannot be used as it is."""

    code = "E101"


class TrainingDataError(ChatbotError):
    """The NLU training data cannot be read."""

    code = "E102"


class ModelNotTrainedError(ChatbotError):
    """There is no trained model where the configuration points."""

    code = "E201"


class ModelError(ChatbotError):
    """A saved model exists but cannot be loaded."""

    code = "E202"


class FlowError(ChatbotError):
    """One or more dialogue flows are invalid; ``problems`` lists each with file and line."""

    code = "E103"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class KnowledgeBaseError(ChatbotError):
    """Knowledge content is invalid, or the knowledge tables cannot be read."""

    code = "E301"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class HandoffError(ChatbotError):
    """A ticket operation is not allowed (unknown ticket, wrong status, not a social worker)."""

    code = "E401"
