"""Plain words for residents: the first time an answer uses a word such as APP, 小程序 or 结算 with
an older resident, a short explanation follows it in brackets, once per conversation (issue 14).

Who is a resident: someone who said so (persona ``resident``), or anyone walking a tutorial
written for residents. Merchants and social workers know these words and get the text as it is.
The short explanations are content (``texts.JARGON``); ``explained`` in the state lists the words
already explained to this person.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.state import State, persona
from dialogues.turn import Reply, Turn


def for_resident(flows: dict[str, Any], st: State) -> bool:
    """True when the person is an older resident, or is in a tutorial written for residents."""
    if persona(st) == "resident":
        return True
    if persona(st):
        return False
    flow = flows.get(st.get("flow") or "")
    return bool(flow is not None and getattr(flow, "audience", "any") == "resident")


def explain(flows: dict[str, Any], turn: Turn) -> None:
    """Add a short explanation after the first use of each jargon word not yet explained to this person."""
    st = turn.state
    if not turn.replies or not for_resident(flows, st):
        return
    done = set(st.get("explained") or [])
    out = []
    for reply in turn.replies:
        text = reply.text
        if reply.kind != "feedback":
            for word, meaning in T.JARGON.items():
                at = text.find(word)
                if word in done or at < 0:
                    continue  # explained before, or not used
                if text[at + len(word):].startswith(("（", "(")) or _explains(text, word):
                    done.add(word)  # the answer explains it itself
                    continue
                end = at + len(word)
                text = f"{text[:end]}（{meaning}）{text[end:]}"
                done.add(word)
        out.append(Reply(text, reply.buttons, reply.kind) if text != reply.text else reply)
    turn.replies[:] = out
    st["explained"] = sorted(done)


def _explains(text: str, word: str) -> bool:
    """The text explains the word itself: 自提点就是…, 叫“验证码”, “结算”是…."""
    return any(form in text for form in (f"{word}就是", f"{word}是", f"{word}”就是", f"{word}”是",
                                         f"叫“{word}”", f"叫{word}", f"叫做“{word}”"))
