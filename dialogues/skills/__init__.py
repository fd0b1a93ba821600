"""One module per capability, each with ``respond(ctx, turn, parse, text) -> None``.

``SKILLS`` maps the capability the policy chose to the skill that answers. Adding a
capability = adding a module with ``CAPABILITY`` and ``respond`` and listing it here.
``answers`` (knowledge-base answers and the fallback) and ``hotlines`` (handed over by the
policy skill) serve the others; ``wellbeing`` (loneliness and worry) is asked by the urgent
skill's reading of what an alarm left expected; ``base`` is what they all share.

``expected`` is what the person's role and open matters expect before the NLU decides (a
registered social worker's queue questions, the wait in the queue, a person asked for in any
words, a privacy topic's follow-ups). ``served`` names the skill that served the turn
(``chat --jsonl`` reports it): the one that said so (``base.serve``), else the tutorial when
the turn moved one, else the skill of the capability.
"""

from __future__ import annotations

from dialogues.skills import handoff, marketing, policy, privacy, reminder, smalltalk, staff, tools, tutorial, urgent
from dialogues.skills.base import Context, Respond, serve
from dialogues.turn import Turn
from nlu.result import ParseResult

SKILLS: dict[str, Respond] = {
    skill.CAPABILITY: skill.respond
    for skill in (tutorial, marketing, policy, tools, handoff, privacy, smalltalk, urgent, reminder, staff)
}
FLOW_EVENTS = frozenset({"flow_started", "flow_step", "flow_finished", "same_flow"})


def expected(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """Answer what the role and the open matters expect, first; False when none expects this message."""
    return (staff.expected(ctx, turn, parse, text) or handoff.expected(ctx, turn, parse, text)
            or privacy.expected(ctx, turn, parse, text))


def served(turn: Turn) -> None:
    """Fill in ``turn.skill`` (and the capability) when no skill said it served the turn."""
    if turn.skill:
        return
    if any(e["type"] in FLOW_EVENTS for e in turn.events):
        serve(turn, tutorial.CAPABILITY, "tutorial")  # 下一步 / 没看懂 / 接着学 inside a tutorial
        return
    respond = SKILLS.get(turn.capability)
    turn.skill = respond.__module__.rsplit(".", 1)[-1] if respond else "smalltalk"  # out_of_scope: smalltalk says so


__all__ = ["SKILLS", "Context", "Respond", "expected", "served"]
