"""Privacy (PIPL): what is stored and why, deleting it after a clear yes, and never others' records.

删除我的信息 asks once (twice when the request was read with low confidence, the second time
saying exactly what goes); only the question's own button or a clear yes deletes (issue 12).
A question about the deletion is answered and the question stays open; anything else drops
it, says nothing was deleted, and is answered as usual.

Someone else's data held by the person asking (顾客要我删他的电话 我必须删吗) is a question
about the customer's right under PIPL, answered as a policy, never "delete your own data"
(issue 13); what the privacy topics expect next is data (``dialogues/expectations/privacy.yml``).
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.skills.base import (
    Context, answer_buttons, cues, drop_question, expectations, only_words, say, serve, worker_button,
)
from dialogues.state import ask, answered, new_state
from dialogues.turn import Turn
from dialogues.understand import REFUSE_RE, VAGUE_YES, clear_yes, explicit_yes, plain
from nlu.result import ParseResult

CAPABILITY = "privacy"
CUSTOMER_ENTRY = "policy_privacy_law_merchant"  # the policy a customer's-data question is about
CUSTOMER_INTENT = "policy_consumer_rights"
# Deleting data and sharing a conversation need a clear yes to that very question (issue 12):
# 下一步, 继续, 好, 嗯 or an affirm-like parse never delete anything or share anything.
DELETE_SURE = 0.9  # a privacy_delete read below this gets a second question saying what goes
DELETE_HEARD_TURNS = 6  # ... unless the deletion question was asked this few turns ago
DELETE_YES = frozenset({
    "确定", "确认", "同意", "可以", "是的", "是", "对", "对的", "没错", "确定删除", "确认删除", "同意删除", "可以删",
    "可以删除", "删", "删吧", "删掉", "删掉吧", "删了", "删了吧", "删除", "删除吧", "要删", "要删除", "确定要删",
    "确定要删除", "全删", "全删了吧", "都删了吧", "全部删除",
})
DELETE_NO_RE = re.compile(r"不删|别删|不要删|不用删|不想删|不确定|取消|算了|不用了|不要了|留着|保留")
DELETE_ASK_RE = re.compile(r"吗|么|呢|？|\?|什么|啥|哪些|哪|怎么|能不能|会不会|是不是|可不可以|多久|还能|还可以")
DELETE_TOPIC_RE = re.compile(r"删|注销|清除|清空|清掉|恢复|找回")
# Someone else's records (把张阿姨的聊天记录发给我): refused, never read as "delete mine".
OTHER_PERSON = (
    r"(别人|他人|其他人|其它人|别的人|旁人|人家|外人|其他用户|别的用户|其他居民|其他老人|别的老人|(?<!其)他们?|她们?"
    r"|老伴儿?|老头子|老太婆|老婆子|爱人|丈夫|老公|妻子|媳妇儿?|老婆|儿子|女儿|闺女|孙子|孙女|外孙女?|儿媳妇?|女婿|孩子"
    r"|邻居|朋友|同事|亲戚|家人|家里人|妈妈?|爸爸?|母亲|父亲|婆婆|公公|岳父|岳母|丈母娘|老丈人|哥哥?|姐姐?|弟弟?|妹妹?"
    r"|[\u4e00-\u9fff]?(阿姨|大爷|大妈|大娘|奶奶|爷爷|姥姥|姥爷|外婆|外公|叔叔?|婶婶?|婶子|伯伯?|大姐|大哥|师傅|老师|老太太?)"
    r"|[老小][张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任卢姚沈钟"
    r"姜崔谭陆范汪廖石金贾夏付方邹熊白孟秦邱侯江尹薛段雷龙史陶贺毛郝顾龚邵万钱严孔汤])"
)
OTHERS_RECORDS_RE = re.compile(
    OTHER_PERSON + r"(的|跟你|和你|同你)?(聊天记录|对话记录|记录|聊天内容|对话|聊天|信息|资料|数据|档案|消息|说的话"
    r"|说了什么|说了啥|聊了什么|聊了啥|问了什么|问了啥|聊的|说的)"
)


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """What is stored (privacy_view), the deletion question (privacy_delete), or a kind no to others' records."""
    serve(turn, CAPABILITY, "privacy")
    said = parse.text or text
    if about_customer(said):
        customer_right(turn)
    elif OTHERS_RECORDS_RE.search(said) or (parse.intent == "privacy_delete" and _has(said, "on_behalf")):
        # 把张阿姨的聊天记录发给我 / 我能替他删吗: a person's data is shown to or deleted by that person only.
        others(turn)
    elif parse.intent == "privacy_delete":
        # A clear request is asked once; a weak reading twice, the second time saying what goes. Asked
        # again soon after the question was heard (那先不删了 … 想了想 还是删掉吧), once is enough.
        st = turn.state
        heard = int(st.get("turns", 0)) - int(st.get("delete_asked", -99)) <= DELETE_HEARD_TURNS
        left = 1 if parse.confidence >= DELETE_SURE or heard else 2
        st["delete_asked"] = int(st.get("turns", 0))
        ask(st, "confirm_delete", left=left)
        say(turn, T.PRIVACY_CONFIRM, answer_buttons("confirm_delete", T.PRIVACY_CONFIRM_BUTTONS))
    else:
        say(turn, T.PRIVACY_VIEW)


def confirm_delete(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
                   pressed: str | None) -> bool:
    """确定要删除…？ Only its own button or a clear yes (确定/是的/可以/同意) deletes (issue 12).

    ``pressed`` is "yes" or "no" when the question's own button was pressed.
    """
    st = turn.state
    serve(turn, CAPABILITY, "privacy")
    buttons = answer_buttons("confirm_delete", T.PRIVACY_CONFIRM_BUTTONS)
    # The words decide, not the NLU's reading: 确定 / 确定 删吧 (yes words only, nothing else).
    # 中 删 俺想好了: a plain agreement with the deletion said back is a yes too (understand.explicit_yes).
    typed_yes = pressed is None and (clear_yes(text, DELETE_YES) or only_words(text, DELETE_YES)
                                     or explicit_yes(text, DELETE_YES, cues(expectations("privacy")["delete_action"])))
    no = pressed == "no" or (pressed is None and not typed_yes and (
        parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text) or DELETE_NO_RE.search(text))))
    yes = not no and (pressed == "yes" or typed_yes)
    if no:
        answered(st)
        say(turn, T.PRIVACY_KEPT)
    elif yes and int(pending.get("left", 1)) > 1:
        # Read with low confidence (我的手机号… 帮我记一下): the second question says what goes.
        ask(st, "confirm_delete", left=1)
        say(turn, T.PRIVACY_CONFIRM_AGAIN, buttons)
    elif yes:
        turn.events.append({"type": "delete_user_data", "confirmed_by": "button" if pressed else "typed"})
        st.clear()
        st.update(new_state())
        say(turn, T.PRIVACY_DELETED)
    elif (DELETE_TOPIC_RE.search(text) and DELETE_ASK_RE.search(text)) or asks_about_deletion(text):
        # 删了以后还能用吗 / 那俺学到哪一步也没了？: answered, and the question stays open.
        st["pending"] = pending
        say(turn, T.PRIVACY_DELETE_FAQ)
        say(turn, T.PRIVACY_CONFIRM_STILL, buttons)
    elif (parse.intent in ("affirm", "privacy_delete") or plain(text) in VAGUE_YES) and not pending.get("reasked"):
        # 好 / 嗯 / asking again: maybe a yes, but not a clear one; say once how to answer.
        st["pending"] = {**pending, "reasked": True}
        say(turn, T.PRIVACY_CONFIRM_HOW, buttons)
    else:
        turn.skill, turn.capability = "", parse.capability  # whoever answers the new message serves the turn
        drop_question(ctx, turn, parse, text, T.PRIVACY_NOT_DONE, ("confirm_delete",))
    return True


def asks_about_deletion(text: str) -> bool:
    """清了我闺女帮我存的地址还在不 / 学到哪一步也没了？: a question about what the deletion takes."""
    found = [cues(p).search(text) for p in expectations("privacy")["deletion_question"]]
    return any(found) and _has(text, "asks")


def asks_again(st: dict[str, Any], text: str) -> bool:
    """删吧 / 现在删吧 soon after the deletion question was put off; never a refusal (不删了吧)."""
    recent = int(st.get("turns", 0)) - int(st.get("delete_asked", -99)) <= DELETE_HEARD_TURNS
    clauses = [c for c in re.split(r"[\s，,。.!！；;]+", text.strip()) if c]
    return (recent and not st.get("pending") and not DELETE_NO_RE.search(text) and not REFUSE_RE.search(text)
            and any(_has(c, "delete_again") for c in clauses))


# ---- someone else's data ------------------------------------------------------------------

def _has(text: str, group: str) -> bool:
    return bool(cues(expectations("privacy")[group]).search(text))


def about_customer(text: str) -> bool:
    """顾客要我删他的电话 我必须删吗: a customer's data the person holds, not their own data here."""
    return (_has(text, "customer") and _has(text, "personal_data") and _has(text, "must_delete")
            and not _has(text, "self_here"))


def customer_right(turn: Turn) -> None:
    """The customer's right to deletion under PIPL; the topic is that policy, for follow-ups."""
    serve(turn, "policy", "privacy")
    say(turn, T.CUSTOMER_DELETE)
    say(turn, T.CUSTOMER_CAVEAT, (worker_button(),))
    turn.state["topic"] = {"intent": CUSTOMER_INTENT, "entry": CUSTOMER_ENTRY, "expects": "customer_data"}


def others(turn: Turn) -> None:
    """Someone else's records: only that person may see or delete them."""
    actions = ({"intent": "privacy_view"}, {"intent": "request_human"}, {"nav": "nav_menu"})
    say(turn, T.PRIVACY_OTHERS, tuple(zip(T.PRIVACY_OTHERS_BUTTONS, actions)))
    turn.state["topic"] = {"intent": "privacy_view", "expects": "others_records"}


def expected(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """What the last privacy answer (or a fresh start after a deletion) expects next."""
    st = turn.state
    topic = (st.get("topic") or {}).get("expects")
    if parse.capability not in ("urgent", "handoff") and about_customer(text):
        customer_right(turn)  # 有个老顾客让我把他的手机号删了 我一定要删吗, whatever the NLU made of it
        return True
    if topic == "customer_data" and not _has(text, "self_here") and parse.capability not in ("urgent", "handoff"):
        if _has(text, "customer_consent"):
            serve(turn, "policy", "privacy")
            say(turn, T.CUSTOMER_CONSENT)
            return True
        if _has(text, "customer_copies"):
            serve(turn, "policy", "privacy")
            say(turn, T.CUSTOMER_COPIES)
            return True
        if _has(text, "customer_purpose"):
            serve(turn, "policy", "privacy")  # 我存他电话是为了给他送货 这也不行？
            say(turn, T.CUSTOMER_PURPOSE)
            return True
    if topic == "others_records" and _has(text, "others_again") and not _has(text, "self_here"):
        serve(turn, CAPABILITY, "privacy")
        say(turn, T.PRIVACY_OTHERS_FAMILY, (worker_button(),))
        return True
    if parse.capability == "urgent":
        return False
    if _has(text, "sharing") and _has(text, "sharing_question") and parse.capability in ("handoff", "privacy"):
        serve(turn, CAPABILITY, "privacy")  # 找社工的时候会给他看吗: a question about sharing, not a request
        say(turn, T.PRIVACY_SHARING, (worker_button(),))
        return True
    if parse.capability == "handoff":
        return False
    if _has(text, "remember") and _has(text, "numbers") and parse.capability != "privacy":
        # A deletion read into it (even a weak one) is asked about as a deletion: the confirmation decides.
        serve(turn, CAPABILITY, "privacy")
        say(turn, T.PRIVACY_NO_NUMBERS)
        return True
    if _has(text, "own_copy"):
        serve(turn, CAPABILITY, "privacy")
        say(turn, T.PRIVACY_COPY, (worker_button(),))
        return True
    if _has(text, "own_view"):
        serve(turn, CAPABILITY, "privacy")
        say(turn, T.PRIVACY_VIEW)
        return True
    if asks_again(st, text):
        # 好了问完了 现在删吧 soon after the deletion was put off (in a tutorial too): the question again
        respond(ctx, turn, ParseResult(text=text, intent="privacy_delete", capability=CAPABILITY, confidence=1.0), text)
        return True
    if _has(text, "keep") and "删" in text and not _has(text, "customer"):
        serve(turn, CAPABILITY, "privacy")  # 先别删 我就是问问: nothing was deleted (就是问问 alone is about anything)
        say(turn, T.PRIVACY_NOT_DONE)
        return True
    if _has(text, "deleted_yet") and parse.capability in ("privacy", "out_of_scope", "smalltalk"):
        # 删干净了吗: a state with no earlier message means everything before was deleted.
        serve(turn, CAPABILITY, "privacy")
        say(turn, T.PRIVACY_GONE if st.get("turns", 0) <= 1 else T.PRIVACY_STILL_HERE)
        return True
    return False
