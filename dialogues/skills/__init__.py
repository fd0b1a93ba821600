"""One module per capability, each with ``respond(ctx, turn, parse, text) -> None``.

``SKILLS`` maps the capability the policy chose to the skill that answers. Adding a
capability = adding a module with ``CAPABILITY`` and ``respond`` and listing it here.
``answers`` (knowledge-base answers and the fallback) and ``hotlines`` (handed over by the
policy skill) serve the others; ``wellbeing`` (loneliness and worry) is asked by the urgent
skill's reading of what an alarm left expected; ``base`` is what they all share.
"""

from __future__ import annotations

from dialogues.skills import handoff, marketing, policy, privacy, reminder, smalltalk, tools, tutorial, urgent
from dialogues.skills.base import Context, Respond

SKILLS: dict[str, Respond] = {
    skill.CAPABILITY: skill.respond
    for skill in (tutorial, marketing, policy, tools, handoff, privacy, smalltalk, urgent, reminder)
}

__all__ = ["SKILLS", "Context", "Respond"]
