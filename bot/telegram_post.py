"""A ticket's post in the Telegram staff group, showing the ticket as it is now (issue 15, "one queue").

A ticket is posted once with a 接单 button. Whatever channel then claims, answers or closes it
(the web console in ``linli serve``, ``linli handoff``, a worker in chat, the staff group
itself), ``Handoff.refresh_post`` writes a ``post`` row to the durable outbox, and the bot's
delivery job edits the post with the text made here from the ticket at that moment. The row
carries no text, so several changes in a row end in one edit showing the last state, and it
works when the console and the bot are separate processes on one database.

An urgent ticket nobody claims is announced again every ``handoff.urgent_repeat_minutes``
(``repeat_urgent``), each reminder with its own 接单 button for a one-tap claim. Only the newest
reminder keeps its button (posting one removes the previous one's), and the ticket remembers it
(``alert_message_id``), so the same ``post`` row that edits the post after a claim anywhere also
edits that reminder: no 接单 button is left in the group for a ticket that is no longer waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot import messages
from bot.handoff import PERSON_ENDED_NOTE, Handoff, Ticket

logger = logging.getLogger(__name__)

CLAIM_PREFIX = "claim:"
MAX_POST = 4096


def claim_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    """The 接单 button under a ticket's post."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data=f"{CLAIM_PREFIX}{ticket_id}")]])


def ticket_text(ticket: Ticket) -> str:
    """The post's head (new or urgent ticket, its number) and the ticket's summary."""
    head = messages.STAFF_URGENT if ticket.priority == "urgent" else messages.STAFF_NORMAL
    return head.format(ticket=ticket.id) + "\n" + ticket.summary


def post_view(handoff: Handoff, ticket: Ticket) -> tuple[str, InlineKeyboardMarkup | None]:
    """The post's text and button for the ticket as it is now: 接单 while it waits, its state after."""
    lines: list[str] = []
    if ticket.status == "claimed":
        lines.append(messages.STAFF_CLAIMED_BY.format(name=ticket.worker_name or ""))
        if handoff.worker_replies(ticket.id):
            lines.append(messages.STAFF_POST_ANSWERED)
    elif ticket.status == "closed":
        if ticket.close_note == PERSON_ENDED_NOTE:
            lines.append(messages.STAFF_POST_ENDED_BY_PERSON)
        else:
            name = ticket.worker_name or (handoff.worker(ticket.worker_id or "") or {}).get("name") or ""
            lines.append(messages.STAFF_POST_CLOSED.format(name=name))
        outcome = handoff.outcome(ticket.id)
        if outcome:
            lines.append(messages.STAFF_POST_OUTCOME.format(outcome=outcome))
    tail = ("\n" + "\n".join(lines)) if lines else ""
    head = ticket_text(ticket)[: MAX_POST - len(tail)]
    return head + tail, claim_keyboard(ticket.id) if ticket.status == "waiting" else None


async def edit_post(bot: Any, chat_id: int, handoff: Handoff, ticket_id: int | None,
                    message_id: int | None = None) -> None:
    """Edit a ticket's post (or ``message_id``, such as an urgent reminder pressed) to show the ticket now.

    "Not modified" is success; any other refusal (the post deleted, too old to edit) is logged
    and given up, so it never holds up the staff group's other messages. Network errors and
    429s are raised, and the outbox row is retried.
    """
    ticket = handoff.get(ticket_id) if ticket_id else None
    target = message_id or (ticket.staff_message_id if ticket else None)
    if ticket is None or not target:
        return  # not posted yet: the post will show the ticket as it is then
    text, markup = post_view(handoff, ticket)
    await _edit(bot, chat_id, ticket.id, target, text, markup)
    if message_id is None and ticket.alert_message_id and ticket.status != "waiting":
        # Claimed (or closed) anywhere: the reminder's 接单 button goes too, and it shows the ticket now.
        await _edit(bot, chat_id, ticket.id, ticket.alert_message_id, text, markup)
        handoff.clear_alert(ticket.id)


async def _edit(bot: Any, chat_id: int, ticket_id: int, message_id: int, text: str,
                markup: InlineKeyboardMarkup | None) -> None:
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            logger.warning("ticket %d: the staff message %s could not be edited (%s); left as it is", ticket_id,
                           message_id, exc)


async def repeat_urgent(bot: Any, chat_id: int, handoff: Handoff, ticket: Ticket) -> None:
    """Announce an unclaimed urgent ticket again, with a 接单 button; the previous reminder loses its button.

    Raises TelegramError (network, 429) when the group could not be reached; the delivery job
    tries again at its next run. A previous reminder Telegram will not edit (deleted, too old)
    is logged and left.
    """
    now = handoff.get(ticket.id)
    if now is None or now.status != "waiting":
        return  # claimed a moment ago (maybe in the console): its post row edits the post
    ticket = now
    if ticket.alert_message_id:
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=ticket.alert_message_id,
                                                reply_markup=None)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.warning("ticket %d: the 接单 button of reminder %s could not be removed (%s)", ticket.id,
                               ticket.alert_message_id, exc)
        handoff.clear_alert(ticket.id)
    sent = await bot.send_message(chat_id, messages.STAFF_URGENT_REPEAT.format(ticket=ticket.id),
                                  reply_markup=claim_keyboard(ticket.id), reply_to_message_id=ticket.staff_message_id)
    handoff.mark_alerted(ticket.id, sent.message_id)
