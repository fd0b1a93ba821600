"""Lessons asked for that the content does not have (你能教我跟他视频不).

``no_lesson`` in ``dialogues/expectations/tutorial.yml`` names them: the reply says plainly that
there is no such lesson and offers a social worker or a phone class; it never makes up steps.
"""

from __future__ import annotations

from dialogues.cues import plain_text
from dialogues.skills.base import Context, cues, expectations, menu_button, say, worker_button
from dialogues.skills.tutorial.steps import CAPABILITY
from dialogues.turn import Turn
from nlu.result import ParseResult

NEVER = ("urgent", "handoff", "privacy")  # answered as asked, whatever lesson the message names


def asked(text: str) -> str | None:
    """The reply for a lesson the message asks for and the content lacks, or None."""
    data = expectations("tutorial")
    said = plain_text(text)
    if not cues(data.get("lesson_asks") or []).search(said):
        return None
    for lesson in data.get("no_lesson") or []:
        unless = lesson.get("unless") or []
        if cues(lesson["cues"]).search(said) and not (unless and cues(unless).search(said)):
            return str(lesson["say"]).strip()
    return None


def no_lesson(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """Say plainly that there is no such lesson (a social worker or a class instead); False: not asked."""
    if parse.capability in NEVER:
        return False
    reply = asked(text)
    if reply is None:
        return False
    turn.capability = CAPABILITY
    say(turn, reply, (worker_button(), menu_button()))
    return True
