"""Component name -> class. The name in config.yml is the class name."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from bot.errors import ConfigError

if TYPE_CHECKING:
    from nlu.component import Component

_REGISTRY: dict[str, type[Component]] = {}
C = TypeVar("C", bound="type[Component]")


def register(cls: C) -> C:
    """Class decorator: make a component available to config.yml under its class name."""
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_names() -> list[str]:
    """All component names config.yml may use."""
    _import_builtins()
    return sorted(_REGISTRY)


def get_component_class(name: str, where: str = "pipeline") -> type[Component]:
    """Look up a component; an unknown name lists the valid ones."""
    _import_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"{where}: unknown component '{name}'. Valid components: {', '.join(sorted(_REGISTRY))}"
        ) from None


def _import_builtins() -> None:
    # Importing the modules runs their @register decorators.
    import nlu.augment  # noqa: F401
    import nlu.classifier  # noqa: F401
    import nlu.entities  # noqa: F401
    import nlu.fallback  # noqa: F401
    import nlu.rules  # noqa: F401
    import nlu.featurizers  # noqa: F401
    import nlu.tokenizer  # noqa: F401


__all__: list[str] = ["get_component_class", "register", "registered_names"]
