"""The dialogue manager: given the saved state and a parse, decide the replies and the new state.

Pure logic, no I/O: knowledge comes from a ``KnowledgeBase`` object and every side effect
(a help request) is returned as an event for the engine to carry out. The state is a plain
JSON-able dict so it can live in SQLite and survive restarts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dialogues import texts as M
from dialogues.schema import Flow, conditions_hold
from dialogues.state import (
    MAX_PAUSED, button_action, new_state, pause, persona, pressed_label, restore, take_buttons, typed_number, unpause,
)
from dialogues.turn import Reply, Turn
from dialogues.understand import (
    ASKING_RE, CLAUSE_RE, MERCHANT_SELF_RE, QUESTION_RE, REFUSE_RE, RESIDENT_SELF_RE, SOCIAL_WORKER_SELF_RE, VAGUE_YES,
    WORD_RE, capability_of, clear_yes, parse_amount, persona_of_intro, plain, question_after_intro, synthetic,
    take_entities,
)
from nlu.result import ParseResult

TOOL_NEED_BY_INTENT = {
    "tool_design": "design", "tool_video": "video", "tool_crm": "crm", "tool_forms": "forms",
    "tool_copywriting": "copywriting",
}
TOOL_NEED_WORDS = (
    ("live", ("直播",)), ("data", ("数据", "罗盘", "分析", "生意参谋")), ("minishop", ("小店", "开店", "小程序", "店铺")),
    ("design", ("海报", "图片", "设计", "价签", "菜单")), ("video", ("剪辑", "视频", "剪映")),
    ("forms", ("表格", "问卷", "接龙", "报名")), ("copywriting", ("文案", "写")), ("crm", ("客户", "会员", "私域")),
)
PLATFORM_FAMILY = {
    "抖店": "抖音", "抖音": "抖音", "快手小店": "快手", "快手": "快手", "微信小店": "微信", "视频号": "微信",
    "微信": "微信", "企业微信": "微信", "拼多多": "拼多多", "多多买菜": "拼多多", "美团外卖": "美团", "美团": "美团",
    "淘宝": "淘宝", "小红书": "小红书",
}
SELLER_PLATFORMS = {"抖店", "快手小店", "微信小店", "美团外卖", "拼多多商家版"}  # only sellers use these
URGENT_TEXT = {
    "urgent_scam": M.URGENT_SCAM,
    "urgent_medical": M.URGENT_MEDICAL,
    "urgent_self_harm": M.URGENT_SELF_HARM,
    "urgent_abuse": M.URGENT_ABUSE,
    "urgent_missing": M.URGENT_MISSING,
    "urgent_danger": M.URGENT_DANGER,
}
FOLLOWUPS = {"followup_cost", "followup_howto"}
# What rates the last answer: the two buttons, or the thumbs alone typed or sent as an emoji.
FEEDBACK_WORDS = {M.FEEDBACK_YES: 1, M.FEEDBACK_NO: 0, "👍": 1, "👎": 0, "👍🏻": 1, "👎🏻": 0}
NAV = {"nav_next", "nav_prev", "nav_repeat", "nav_simpler", "nav_menu", "nav_exit"}
GLOSSARY_RE = re.compile(r"(.{2,8}?)(是啥|是什么|是啥子|啥意思|什么意思|是干嘛的|是干啥的|指的是|是哪个)")


DONT_KNOW_RE = re.compile(r"^\W*(我|俺)?(也)?(不知道|不晓得|不清楚|不懂|搞不清|说不上来|忘了|记不得|其他|别的|都不是|没有|没用过)")
GROUP_RE = re.compile(r"残疾|残障|低保|退役|军人|大学生|毕业生|妇女|失业|下岗|困难户|孤寡|五保|特困|农民工")
FEE_RE = re.compile(r"保证金|押金|多少钱|收费|费用|服务费|佣金|抽成|扣点|抽几个点|几个点|要钱吗|花钱吗")
MORE_RE = re.compile(r"(别的|其他|其它|更多|还有)(啥|什么|的)?(办法|法子|招|主意|方法)|还有(吗|呢|没有|啥|什么)")
APPLY_RE = re.compile(r"(怎么|咋|如何|去哪|在哪|哪里|找谁)(儿)?(申请|办|领|报名|弄|问|去)|申请条件|去哪问|找谁")
FALSE_ALARM_RE = re.compile(
    r"没事|没危险|不危险|不是(那个|这个)?意思|说错了|误会|开玩笑|不是紧急|不紧急|不是说|我说的是|搞错了|打错了|不是真的|虚惊"
)
# Deleting data and sharing a conversation need a clear yes to that very question (issue 12):
# 下一步, 继续, 好, 嗯 or an affirm-like parse never delete anything or share anything.
DELETE_SURE = 0.9  # a privacy_delete read below this gets a second question saying what goes
CONSENT_KINDS = ("handoff_offer", "handoff_consent")
DELETE_YES = frozenset({
    "确定", "确认", "同意", "可以", "是的", "是", "对", "对的", "没错", "确定删除", "确认删除", "同意删除", "可以删",
    "可以删除", "删", "删吧", "删掉", "删掉吧", "删了", "删了吧", "删除", "删除吧", "要删", "要删除", "确定要删",
    "确定要删除", "全删", "全删了吧", "都删了吧", "全部删除",
})
CONSENT_YES = frozenset({
    "可以", "可以的", "同意", "是的", "是", "对", "对的", "确定", "好的", "好啊", "好呀", "好吧", "行", "行的", "行吧",
    "行啊", "要", "要的", "需要", "麻烦你了", "麻烦您了", "麻烦了", "发吧", "可以发", "发给社工吧", "请社工帮我",
    "好的谢谢", "可以谢谢", "谢谢可以",
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
BUTTON_CHARS = 16  # longer labels are shortened at a natural break (button_label)
STRONG_BREAKS = "（(〔：:/｜|"
WEAK_BREAKS = "、，, "
BREAK_TRIM = STRONG_BREAKS + WEAK_BREAKS
MIN_LABEL = 4  # a shorter piece says too little: cut with an ellipsis instead


def button_label(text: str, limit: int = BUTTON_CHARS) -> str:
    """A button label of at most ``limit`` characters, cut where a reader expects a break.

    网上开店入门（抖店、快手小店…） -> 网上开店入门; 12388 纪检监察举报电话（只用于…） ->
    12388 纪检监察举报电话; with no break in reach the cut is marked with an ellipsis.
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    # A strong break (（：/) may leave a short name; a weak one (、，space) must keep half the label.
    for breaks, shortest in ((STRONG_BREAKS, MIN_LABEL), (WEAK_BREAKS, limit // 2)):
        cuts = [i for i, ch in enumerate(text[: limit + 1]) if ch in breaks and i >= shortest]
        if cuts:
            return text[: cuts[-1]].rstrip(BREAK_TRIM)
    return text[: limit - 1] + "…"


class DialogueManager:
    """Routes each parse to a flow step, a knowledge answer, or a help request."""

    def __init__(self, flows: dict[str, Flow], kb: Any, fallbacks_before_handoff: int = 2) -> None:
        self.flows = flows
        self.kb = kb
        self.fallbacks_before_handoff = fallbacks_before_handoff

    # ---- entry point -----------------------------------------------------------------------

    def advance(self, state: dict[str, Any] | None, parse: ParseResult, text: str) -> Turn:
        """Handle one message; never raises for odd input."""
        st = restore(state)
        st["turns"] += 1
        turn = Turn([], st, intent=parse.intent, capability=parse.capability)
        buttons, labels = take_buttons(st)
        take_entities(st, parse)
        action = button_action(buttons, labels, text)
        rating = FEEDBACK_WORDS.get(text.strip())

        if parse.capability == "urgent":
            # Safety first: the hotline comes before anything else, whatever was going on.
            self._urgent(turn, parse)
        elif st.get("urgent_turn") == st["turns"] - 1 and FALSE_ALARM_RE.search(text):
            # "不是 我说的是清仓打折" right after an alarm: say so, and the ticket becomes a normal one.
            turn.events.append({"type": "not_urgent"})
            self._menu(turn, M.FALSE_ALARM_OK)
        elif rating is not None:
            self._rate(turn, rating)
        elif action is not None:
            self._do_action(turn, action, parse, text)
        elif not WORD_RE.search(text) and not st.get("pending"):
            self._say(turn, M.NON_TEXT_MESSAGE)  # 😀😀😀 or ？？？: ask for words, do not guess
        elif (typed_number(text) is not None or text.strip().isdigit()) and len(text.strip()) <= 2 \
                and not self._asks_slot(st):
            # "9" with seven buttons (or ⑩, or ٣): never read a stray number as goodbye; the same buttons again.
            again = tuple((label, buttons[label]) for label in labels if label in buttons)
            if again:
                self._say(turn, M.NO_SUCH_BUTTON, again)
            else:
                self._menu(turn, M.NO_SUCH_BUTTON)
        elif not self._pending(turn, parse, text):
            self._route(turn, parse, text)
        self._maybe_ask_feedback(turn)
        if turn.replies:
            st["last"] = [r.text for r in turn.replies if r.kind != "feedback"]
        return turn

    # ---- answer ratings ----------------------------------------------------------------------

    def _maybe_ask_feedback(self, turn: Turn) -> None:
        """After a tutorial, a policy or a tool answer: one light question, never twice in a row."""
        st = turn.state
        if turn.rate is None or not turn.replies:
            return
        if st.get("feedback_turn") == st["turns"] - 1 or st.get("pending"):
            return  # asked last turn, or another question is waiting for an answer
        if any(e["type"] == "help_request" for e in turn.events) or turn.capability == "urgent":
            return
        key = f"{turn.rate['kind']}:{turn.rate['subject']}"
        if key in (st.get("rated") or []):
            return
        st["feedback"], st["feedback_turn"] = dict(turn.rate), st["turns"]
        self._say(turn, M.FEEDBACK_ASK, ((M.FEEDBACK_YES, {"feedback": 1}), (M.FEEDBACK_NO, {"feedback": 0})),
                  kind="feedback")

    def _rate(self, turn: Turn, helpful: int) -> None:
        """👍 / 👎: stored once for the answer last asked about, then a short thank-you."""
        st = turn.state
        turn.intent, turn.capability = "feedback", "smalltalk"
        asked = st.get("feedback")
        if not asked:
            self._say(turn, M.FEEDBACK_ALREADY)
            return
        st["feedback"] = None
        st["rated"] = ([*(st.get("rated") or []), f"{asked['kind']}:{asked['subject']}"])[-20:]
        turn.events.append({"type": "feedback", **asked, "helpful": helpful})
        if helpful:
            self._say(turn, M.FEEDBACK_THANKS)
        else:
            self._say(turn, M.FEEDBACK_SORRY, (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))

    # ---- helpers ---------------------------------------------------------------------------

    def _say(self, turn: Turn, text: str, buttons: tuple[Any, ...] = (), kind: str = "") -> None:
        """Add a reply; buttons are labels or (label, action) pairs remembered for the next turn."""
        labels: list[str] = []
        for b in buttons:
            full, action = (b, {"text": b}) if isinstance(b, str) else b
            label = button_label(full)
            if label in labels:  # two titles that shorten alike keep more of their text
                label = full[: BUTTON_CHARS - 1] + "…" if len(full) > BUTTON_CHARS else full
            if label in labels:
                label = full
            labels.append(label)
            turn.state["buttons"][label] = action
        # Numbers run on across the turn's replies ([1]-[4], then [5]-[7]), as the terminal shows them.
        turn.state.setdefault("button_labels", []).extend(labels)
        turn.replies.append(Reply(text, tuple(labels), kind))

    pressed_label = staticmethod(pressed_label)

    def _persona(self, st: dict[str, Any]) -> str:
        return persona(st)

    def _menu(self, turn: Turn, text: str = M.MENU_TEXT) -> None:
        actions = dict(zip(M.MENU_BUTTONS, (
            {"intent": "grocery_order"}, {"intent": "mk_strategy"}, {"policy_menu": True},
            {"intent": "tool_recommend"}, {"intent": "request_human"},
        )))
        self._say(turn, text, tuple(actions.items()))

    def _synthetic(self, intent: str, text: str, capability: str = "") -> ParseResult:
        return synthetic(intent, text, capability)

    def _capability_of(self, intent: str) -> str:
        return capability_of(intent)

    # ---- buttons and pending questions ----------------------------------------------------

    def _do_action(self, turn: Turn, action: dict[str, Any], parse: ParseResult, text: str) -> None:
        st = turn.state
        if "slots" in action:
            st["slots"].update(action["slots"])
        if "intent" in action:
            turn.intent, turn.capability = action["intent"], self._capability_of(action["intent"])
        if "feedback" in action:
            self._rate(turn, int(action["feedback"]))
        elif action.get("more"):
            self._marketing(turn, self._synthetic(action["intent"], text), more=True)
            st["topic"] = {**(st.get("topic") or {}), "more": True}
        elif "need" in action:
            self._tool(turn, self._synthetic("tool_recommend", text), need=action["need"])
        elif "tool_howto" in action:
            st["tool"] = action["tool_howto"]
            self._context_followup(turn, self._synthetic("followup_howto", text), text)
        elif "goto" in action and st.get("flow") in self.flows:
            flow = self.flows[st["flow"]]
            st["step"] = max(0, flow.step_index(action["goto"]))
            self._show_step(turn, flow)
        elif "nav" in action:
            self._route(turn, self._synthetic(action["nav"], text), text)
        elif "intent" in action:
            turn.intent, turn.capability = action["intent"], self._capability_of(action["intent"])
            st["pending"] = None
            self._route(turn, self._synthetic(action["intent"], text), text)
        elif "flow" in action:
            st["pending"] = None
            self._start_flow(turn, self.flows[action["flow"]])
        elif "entry" in action:
            st["pending"] = None
            self._answer_entry(turn, action["entry"], text)
        elif "policy_menu" in action:
            self._policy_menu(turn)
        elif "persona" in action:
            st["slots"]["persona"] = action["persona"]
            st["pending"] = None
            self._say(turn, M.PERSONA_SET)
        elif "answer" in action and action.get("question") not in (None, (st.get("pending") or {}).get("type")):
            # A yes/no button of another question is no answer to this one: read it as typed words.
            if not self._pending(turn, parse, text):
                self._route(turn, parse, text)
        elif "answer" in action:
            intent = "affirm" if action["answer"] == "yes" else "deny"
            # The question's own button is an explicit answer (deleting and sharing need one).
            pressed = str(action["answer"]) if action.get("question") else None
            if not self._pending(turn, self._synthetic(intent, text), text, pressed):
                self._route(turn, self._synthetic(intent, text), text)
        else:
            # A plain label: understand it like typed text.
            if not self._pending(turn, parse, text):
                self._route(turn, parse, text)

    def _pending(self, turn: Turn, parse: ParseResult, text: str, pressed: str | None = None) -> bool:
        """Answer a question the bot asked last turn; False when the message is about something else.

        ``pressed`` is "yes" or "no" when the question's own button was pressed.
        """
        st = turn.state
        pending = st.get("pending")
        if not pending:
            return False
        kind = pending.get("type")
        if kind == "confirm_delete":
            return self._confirm_delete(turn, pending, parse, text, pressed)
        if kind in CONSENT_KINDS:
            return self._consent(turn, pending, parse, text, pressed)
        no = parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text))
        yes = not no and (parse.intent in ("affirm", "nav_next") or text.strip() in ("继续", "好", "好的", "要", "是"))
        st["pending"] = None
        if kind == "resume":
            if yes:
                paused = st.get("paused") or {}
                self._unpause(st)
                flow = self.flows.get(paused.get("flow", ""))
                if flow is None:
                    self._say(turn, M.NOTHING_TO_RESUME)
                else:
                    st["flow"], st["step"] = flow.id, int(paused.get("step", 0))
                    self._show_step(turn, flow)
                return True
            if no:
                self._unpause(st)
                self._say(turn, M.OK_REPLY)
                return True
            return False
        if kind == "choose_platform":
            intent = pending.get("intent", "grocery_order")
            if parse.entity_values("platform"):
                self._teach(turn, self._synthetic(intent, text))
                return True
            if no or text.strip() == M.PLATFORM_OTHER or DONT_KNOW_RE.search(text):
                st["slots"].pop("platform", None)
                self._teach(turn, self._synthetic(intent, text), generic=True)
                return True
            return False
        return False

    def _confirm_delete(self, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
                        pressed: str | None) -> bool:
        """确定要删除…？ Only its own button or a clear yes (确定/是的/可以/同意) deletes (issue 12)."""
        st = turn.state
        buttons = self._answer_buttons("confirm_delete", M.PRIVACY_CONFIRM_BUTTONS)
        typed_yes = pressed is None and clear_yes(text, DELETE_YES)  # the words decide, not the NLU's reading
        no = pressed == "no" or (pressed is None and not typed_yes and (
            parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text) or DELETE_NO_RE.search(text))))
        yes = not no and (pressed == "yes" or typed_yes)
        if no:
            st["pending"] = None
            self._say(turn, M.PRIVACY_KEPT)
        elif yes and int(pending.get("left", 1)) > 1:
            # Read with low confidence (我的手机号… 帮我记一下): the second question says what goes.
            st["pending"] = {"type": "confirm_delete", "left": 1}
            self._say(turn, M.PRIVACY_CONFIRM_AGAIN, buttons)
        elif yes:
            turn.events.append({"type": "delete_user_data", "confirmed_by": "button" if pressed else "typed"})
            st.clear()
            st.update(new_state())
            self._say(turn, M.PRIVACY_DELETED)
        elif DELETE_TOPIC_RE.search(text) and DELETE_ASK_RE.search(text):
            # 删了以后还能用吗: answered, and the question stays open.
            st["pending"] = pending
            self._say(turn, M.PRIVACY_DELETE_FAQ)
            self._say(turn, M.PRIVACY_CONFIRM_STILL, buttons)
        elif (parse.intent in ("affirm", "privacy_delete") or plain(text) in VAGUE_YES) and not pending.get("reasked"):
            # 好 / 嗯 / asking again: maybe a yes, but not a clear one; say once how to answer.
            st["pending"] = {**pending, "reasked": True}
            self._say(turn, M.PRIVACY_CONFIRM_HOW, buttons)
        else:
            self._drop_question(turn, parse, text, M.PRIVACY_NOT_DONE, ("confirm_delete",))
        return True

    def _consent(self, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str, pressed: str | None) -> bool:
        """May I share the conversation with a social worker? Only its own button or a clear yes shares it."""
        st = turn.state
        kind = str(pending.get("type"))
        # "不找社工了" names a social worker too: a refusal is never read as consent.
        typed_yes = pressed is None and clear_yes(text, CONSENT_YES)  # "要" is a yes even when read as deny
        no = pressed == "no" or (pressed is None and not typed_yes and (
            parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text))))
        yes = not no and (pressed == "yes" or typed_yes or (pressed is None and parse.intent == "request_human"))
        if yes:
            st["pending"] = None
            self._request_help(turn, pending.get("reason", "fallbacks"), text)
        elif no:
            st["pending"] = None
            st["fallbacks"] = 0
            self._say(turn, M.HELP_DECLINED)
        elif (parse.intent == "affirm" or plain(text) in VAGUE_YES) and not pending.get("reasked"):
            st["pending"] = {**pending, "reasked": True}
            self._say(turn, M.CONSENT_HOW, self._answer_buttons(kind, M.CONSENT_BUTTONS))
        else:
            self._drop_question(turn, parse, text, M.CONSENT_NOT_SHARED, CONSENT_KINDS)
        return True

    def _drop_question(self, turn: Turn, parse: ParseResult, text: str, sentence: str, kinds: tuple[str, ...]) -> None:
        """The person went on to something else: the question is dropped, they are told, and the message handled."""
        st = turn.state
        st["pending"] = None
        first = len(turn.replies)
        self._route(turn, parse, text)
        if (st.get("pending") or {}).get("type") not in kinds:  # not when the same question is asked anew
            turn.replies.insert(first, Reply(sentence))

    @staticmethod
    def _answer_buttons(question: str, labels: tuple[str, ...]) -> tuple[Any, ...]:
        """Yes and no buttons that answer only ``question``: another question's button never counts as its yes."""
        yes, no = labels
        return ((yes, {"answer": "yes", "question": question}), (no, {"answer": "no", "question": question}))

    # ---- routing ---------------------------------------------------------------------------

    def _route(self, turn: Turn, parse: ParseResult, text: str) -> None:
        st = turn.state
        intent, cap = parse.intent, parse.capability
        in_flow = st.get("flow") in self.flows
        if in_flow and self._answer_ask(turn, parse, text):
            return
        if self._glossary(turn, text):
            return
        if in_flow and (intent in NAV or intent == "affirm"):
            self._navigate(turn, intent)
            return
        if intent in NAV or (intent in ("affirm",) and st.get("paused")):
            self._navigate_outside(turn, intent, text)
            return
        if parse.is_fallback:
            if self._context_followup(turn, parse, text):
                return
            self._fallback(turn, parse, text)
            return
        if cap != "out_of_scope":
            st["fallbacks"] = 0
        if intent in FOLLOWUPS or self._looks_like_followup(st, parse, text):
            if self._context_followup(turn, parse, text):
                return
        if self._topic_followup(turn, parse, text) or self._says_who_they_are(turn, parse, text):
            return
        if self._shop_fees(turn, parse, text):
            return
        was_in = st.get("flow")
        was_step = st.get("step", 0)
        handler = {
            "teach": self._teach, "marketing": self._marketing, "policy": self._policy, "tool": self._tool,
            "handoff": self._handoff, "privacy": self._privacy, "smalltalk": self._smalltalk,
        }.get(cap, self._out_of_scope)
        handler(turn, parse)
        same_flow = any(e["type"] == "same_flow" for e in turn.events)
        if was_in in self.flows and st.get("flow") == was_in and handler is not self._smalltalk and not same_flow:
            # A new question in the middle of a tutorial: answered; offer to go back.
            self._pause(st, was_in, was_step)
            st["flow"] = None
        if st.get("paused") and st.get("flow") is None and st.get("pending") is None and cap not in ("handoff",):
            self._offer_resume(turn)
        self._maybe_ask_persona(turn, cap)

    def _looks_like_followup(self, st: dict[str, Any], parse: ParseResult, text: str) -> bool:
        """"那抖音呢" / "预算只有500呢": a short message that only changes a slot of the last topic."""
        short = len(re.sub(r"\W", "", text)) <= 12
        has_slot = any(e.entity in ("platform", "money") for e in parse.entities)
        return bool(st.get("topic")) and short and has_slot and parse.capability not in ("urgent", "handoff")

    def _says_who_they_are(self, turn: Turn, parse: ParseResult, text: str) -> bool:
        """"我是开小卖部的" / "我是退休老人": remember who is asking and offer what fits, start nothing."""
        t = re.sub(r"[\s，。！,.!~]+", "", text)
        if parse.capability in ("urgent", "handoff", "privacy") or len(t) > 14 or QUESTION_RE.search(t):
            return False
        if MERCHANT_SELF_RE.search(t):
            persona, reply, labels = "merchant", M.SELF_MERCHANT, M.SELF_MERCHANT_BUTTONS
            actions = ({"intent": "open_shop"}, {"intent": "mk_low_budget"}, {"intent": "mk_repeat_customers"},
                       {"policy_menu": True}, {"intent": "tool_recommend"})
        elif SOCIAL_WORKER_SELF_RE.search(t):
            persona, reply, labels = "social_worker", M.SELF_SOCIAL_WORKER, M.MENU_BUTTONS
            actions = ({"intent": "grocery_order"}, {"intent": "mk_strategy"}, {"policy_menu": True},
                       {"intent": "tool_recommend"}, {"intent": "request_human"})
        elif RESIDENT_SELF_RE.search(t):
            persona, reply, labels = "resident", M.SELF_RESIDENT, M.SELF_RESIDENT_BUTTONS
            actions = ({"intent": "grocery_order"}, {"intent": "elderly_mode"}, {"intent": "scam_prevention"},
                       {"policy_menu": True}, {"intent": "request_human"})
        else:
            return False
        turn.state["slots"]["persona"] = persona
        self._say(turn, reply, tuple(zip(labels, actions)))
        return True

    def _shop_fees(self, turn: Turn, parse: ParseResult, text: str) -> bool:
        """"拼多多开店要多少保证金" / "美团外卖抽几个点": say where the fees are, never a guessed figure."""
        st = turn.state
        about_shop = parse.intent == "open_shop" or (st.get("topic") or {}).get("intent") == "open_shop"
        if not (about_shop and FEE_RE.search(text)):
            return False
        named = parse.entity_values("platform") or [str(st["slots"].get("platform") or "平台")]
        if st.get("flow") is None:
            st["topic"] = {"intent": "open_shop"}  # "那抽几个点呢" next is still about opening a shop
        self._say(turn, M.PLATFORM_FEES.format(platform=named[0]),
                  (("网上开店入门", {"flow": "open_shop_tutorial"}) if "open_shop_tutorial" in self.flows else
                   ("菜单", {"nav": "nav_menu"}), ("找社工", {"intent": "request_human"})))
        return True

    def _topic_followup(self, turn: Turn, parse: ParseResult, text: str) -> bool:
        """A short question that only makes sense about the last answer: 还有别的办法吗 / 怎么申请 / 要交多少."""
        st = turn.state
        topic = st.get("topic") or {}
        if not topic.get("intent") or parse.entities or len(re.sub(r"\W", "", text)) > 14:
            return False
        cap = self._capability_of(topic["intent"])
        if cap == "marketing" and MORE_RE.search(text):
            if topic.get("more"):
                self._say(turn, M.NO_MORE_TIPS, (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))
            else:
                self._marketing(turn, self._synthetic(topic["intent"], text), more=True)
                st["topic"] = {**(st.get("topic") or {}), "more": True}
            return True
        entry = self.kb.get(topic["entry"]) if cap == "policy" and topic.get("entry") else None
        if entry and APPLY_RE.search(text):
            self._say(turn, M.POLICY_HOW.format(text=str(entry["how"]).strip()),
                      (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))
            return True
        if entry and parse.intent == "followup_cost" and not parse.entity_values("tool"):
            self._say_policy(turn, entry)  # "一个月卖多少不用交": the amounts are in the policy itself
            return True
        return False

    def _context_followup(self, turn: Turn, parse: ParseResult, text: str) -> bool:
        st = turn.state
        intent = parse.intent
        tool_name = parse.entity_values("tool")
        if intent == "followup_cost" or (tool_name and re.search(r"钱|收费|免费|贵", text)):
            tool = self._tool_by_name(tool_name[0]) if tool_name else self.kb.get(st.get("tool") or "")
            if tool:
                st["tool"] = tool["id"]
                self._say(turn, M.TOOL_COST.format(name=tool["name"], free=tool["free"]), M.TOOL_BUTTONS)
            elif (st.get("topic") or {}).get("entry"):
                return False  # about the policy just explained (_topic_followup)
            elif parse.entity_values("platform") or (st.get("topic") or {}).get("intent") == "open_shop":
                # "抖店要多少钱" / "要交保证金吗": fees are set per category and change; never guess one.
                named = parse.entity_values("platform") or [str(st["slots"].get("platform") or "平台")]
                self._say(turn, M.PLATFORM_FEES.format(platform=named[0]),
                          (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))
            else:
                self._say(turn, M.WHICH_ONE)
            return True
        if intent == "followup_howto":
            tool = self._tool_by_name(tool_name[0]) if tool_name else self.kb.get(st.get("tool") or "")
            if tool:
                steps = "\n".join(f"{i}. {s}" for i, s in enumerate(tool.get("howto") or [], 1))
                self._say(turn, M.TOOL_HOWTO.format(name=tool["name"]) + "\n" + steps, M.TOOL_BUTTONS)
                return True
            topic = st.get("topic") or {}
            named = parse.entity_values("platform")
            if topic.get("intent") and not named:
                self._say(turn, M.HOWTO_WHAT)
                self._menu(turn)
                return True
            if named and not topic.get("intent") and self._howto_platform(turn, named, text):
                return True
        topic = st.get("topic") or {}
        if topic.get("intent") and any(e.entity in ("platform", "money") for e in parse.entities):
            # Same topic, new platform or budget: answer the last topic again with the new slots.
            self._route_topic(turn, topic["intent"], text)
            return True
        return False

    def _howto_platform(self, turn: Turn, named: list[str], text: str) -> bool:
        """"抖店怎么用" / "怎么用多多买菜" with no topic yet: the tutorial for that platform."""
        platform = self._platform_by_name(named)  # the shopping apps residents learn
        if set(named) & SELLER_PLATFORMS or self._persona(turn.state) == "merchant":
            self._route_topic(turn, "open_shop", text)
            return True
        if platform is None:
            return False
        if platform.get("tutorial") in self.flows:
            self._start_flow(turn, self.flows[platform["tutorial"]])
        else:
            self._say_platform(turn, platform)
        return True

    def _route_topic(self, turn: Turn, intent: str, text: str) -> None:
        cap = self._capability_of(intent)
        turn.intent, turn.capability = intent, cap
        parse = self._synthetic(intent, text, cap)
        {"marketing": self._marketing, "policy": self._policy, "tool": self._tool}.get(cap, self._teach)(turn, parse)

    # ---- tutorials -------------------------------------------------------------------------

    def _teach(self, turn: Turn, parse: ParseResult, generic: bool = False) -> None:
        st = turn.state
        slots = st["slots"]
        candidates = [f for f in self.flows.values() if parse.intent in f.intents]
        if not candidates:
            self._answer_from_search(turn, parse.text or parse.intent, parse)
            return
        specific = [f for f in candidates if f.when]
        general = [f for f in candidates if not f.when]
        chosen = None if generic else next((f for f in specific if f.matches(slots)), None)
        if chosen is None and general and (generic or not specific):
            chosen = general[0]
        if chosen is None and specific and not generic:
            # Several tutorials differ by platform and we don't know which app: ask once.
            options = []
            for f in specific[:6]:
                value = f.when.get("platform")
                value = value[0] if isinstance(value, list) and value else value
                if isinstance(value, str):
                    options.append((value, {"intent": parse.intent, "slots": {"platform": value}}))
            options.append((M.PLATFORM_OTHER, {"text": M.PLATFORM_OTHER}))
            st["pending"] = {"type": "choose_platform", "intent": parse.intent}
            self._say(turn, M.ASK_PLATFORM, tuple(options))
            return
        if chosen is None:
            chosen = candidates[0]
        if parse.intent == "app_install" and not chosen.when and not generic:
            # "想用美团买菜 但是不会下载": every app's own tutorial starts with installing it.
            own = [f for f in self.flows.values() if f.when and "grocery_order" in f.intents and f.matches(slots)]
            chosen = own[0] if own else chosen
        paused = st.get("paused") or {}
        if paused.get("flow") == chosen.id and not st.get("flow"):
            # Back to a tutorial left half-way (菜单 -> 学用手机买菜): go on where they stopped.
            self._unpause(st)
            st["flow"], st["step"] = chosen.id, int(paused.get("step", 0))
            self._say(turn, M.RESUMED.format(title=chosen.title))
            self._show_step(turn, chosen)
            return
        if chosen.id == st.get("flow"):
            # Asked about the tutorial they are already in: stay on the current step.
            turn.events.append({"type": "same_flow"})
            self._show_step(turn, chosen)
            return
        self._start_flow(turn, chosen, parse.intent)

    def _start_flow(self, turn: Turn, flow: Flow, intent: str = "") -> None:
        st = turn.state
        if st.get("flow") and st["flow"] != flow.id and st["flow"] in self.flows:
            self._pause(st, st["flow"], st.get("step", 0))
            self._say(turn, M.FLOW_PAUSED.format(title=self.flows[st["flow"]].title))
        start = max(0, flow.step_index(flow.entry[intent])) if intent in flow.entry else 0
        st["flow"], st["step"] = flow.id, start
        st["topic"] = {"intent": intent or (flow.intents[0] if flow.intents else ""), "flow": flow.id}
        if flow.intro and start == 0:
            self._say(turn, flow.intro)
        turn.events.append({"type": "flow_started", "flow": flow.id, "step": start})
        self._show_step(turn, flow)

    def _step_buttons(self, st: dict[str, Any], flow: Flow, index: int) -> tuple[Any, ...]:
        step = flow.steps[index]
        custom = tuple(
            (b.label, {"goto": b.goto, "slots": b.set} if b.goto else
             {"slots": b.set, "nav": "nav_next"} if b.set else
             {"intent": b.intent} if b.intent else {"text": b.label})
            for b in step.buttons
        )
        base = M.STEP_BUTTONS_MERCHANT if self._persona(st) == "merchant" or flow.audience == "merchant" else (
            M.STEP_BUTTONS_RESIDENT
        )
        nav = {"下一步": "nav_next", "上一步": "nav_prev", "再说一遍": "nav_repeat", "没看懂": "nav_simpler",
               "菜单": "nav_menu"}
        base_actions = tuple((b, {"nav": nav[b]} if b in nav else {"intent": "request_human"}) for b in base)
        return custom + base_actions if custom else base_actions

    def _show_step(self, turn: Turn, flow: Flow, simpler: bool = False) -> None:
        st = turn.state
        index = max(0, min(int(st.get("step", 0)), len(flow.steps) - 1))
        # Skip steps whose conditions do not hold for this person.
        while index < len(flow.steps) - 1 and not conditions_hold(flow.steps[index].when, st["slots"]):
            index += 1
        st["step"] = index
        turn.events.append({"type": "flow_step", "flow": flow.id, "step": index})
        step = flow.steps[index]
        body = step.simpler if simpler and step.simpler else step.text
        body = re.sub(r"^第\s*\d+\s*步\s*[：:，,]?\s*", "", body)
        text = M.STEP_PREFIX.format(n=index + 1, total=len(flow.steps), text=body)
        self._say(turn, text, self._step_buttons(st, flow, index))

    def _navigate(self, turn: Turn, intent: str) -> None:
        st = turn.state
        flow = self.flows[st["flow"]]
        index = int(st.get("step", 0))
        if intent in ("nav_next", "affirm"):
            step = flow.steps[index]
            target = next((t.goto for t in step.next if conditions_hold(t.when, st["slots"])), None)
            if target is not None:
                st["step"] = flow.step_index(target)
            elif step.end or index + 1 >= len(flow.steps):
                self._finish_flow(turn, flow)
                return
            else:
                st["step"] = index + 1
            self._show_step(turn, flow)
        elif intent == "nav_prev":
            if index == 0:
                self._say(turn, M.FIRST_STEP_ALREADY)
            st["step"] = max(0, index - 1)
            self._show_step(turn, flow)
        elif intent == "nav_repeat":
            self._show_step(turn, flow)
        elif intent == "nav_simpler":
            here = [flow.id, index]
            if flow.steps[index].simpler and st.get("simpler_shown") != here:
                self._show_step(turn, flow, simpler=True)
                st["simpler_shown"] = here
            else:  # no simpler words, or they did not help either: offer a person
                st["simpler_shown"] = None
                self._say(turn, M.NO_SIMPLER, (("再说一遍", {"nav": "nav_repeat"}), ("找社工", {"intent": "request_human"})))
        elif intent == "nav_menu":
            self._pause(st, flow.id, index)
            st["flow"] = None
            self._menu(turn)
        elif intent == "nav_exit":
            st["flow"] = None  # a tutorial paused before this one stays, to be offered later
            self._say(turn, M.TUTORIAL_EXITED)

    def _glossary(self, turn: Turn, text: str) -> bool:
        """"验证码是啥" / "自提点是什么意思": explain the word, and stay on the tutorial step."""
        m = GLOSSARY_RE.search(re.sub(r"\s+", "", text))
        if m is None or len(text.strip()) > 20:
            return False
        term = next((t for t in M.GLOSSARY if t in m.group(1)), None)
        if term is None:
            return False
        self._say(turn, M.GLOSSARY[term])
        flow = self.flows.get(turn.state.get("flow") or "")
        if flow is not None:
            self._say(turn, M.GLOSSARY_BACK)
            self._show_step(turn, flow)
        return True

    def _asks_slot(self, st: dict[str, Any]) -> bool:
        """True when the current tutorial step waits for an answer such as a budget."""
        flow = self.flows.get(st.get("flow") or "")
        return bool(flow and flow.steps[int(st.get("step", 0))].ask)

    def _answer_ask(self, turn: Turn, parse: ParseResult, text: str) -> bool:
        """The current step asks for a slot: take it from the entities or the text, then move on."""
        st = turn.state
        flow = self.flows[st["flow"]]
        step = flow.steps[int(st.get("step", 0))]
        if not step.ask:
            return False
        values = parse.entity_values(step.ask)
        if values:
            st["slots"][step.ask] = values[0]
        elif step.ask in ("persona", "need") and text.strip() and parse.capability not in ("urgent", "handoff"):
            return False
        elif not values:
            return False
        self._navigate(turn, "nav_next")
        return True

    def _finish_flow(self, turn: Turn, flow: Flow) -> None:
        st = turn.state
        st["flow"], st["step"] = None, 0
        buttons = (("再学一遍", {"flow": flow.id}), ("菜单", {"nav": "nav_menu"}), ("找社工", {"intent": "request_human"}))
        self._say(turn, flow.outro or M.THANKS_REPLY, buttons)
        turn.events.append({"type": "flow_finished", "flow": flow.id})
        turn.rate = {"kind": "tutorial", "subject": flow.id, "title": flow.title}

    def _navigate_outside(self, turn: Turn, intent: str, text: str) -> None:
        st = turn.state
        if intent in ("nav_next", "affirm") and st.get("paused"):
            st["pending"] = {"type": "resume"}
            self._pending(turn, self._synthetic("affirm", text), text)
        elif intent == "nav_repeat" and st.get("last"):
            for t in st["last"]:
                self._say(turn, t)
        elif intent == "nav_simpler":
            self._say(turn, M.NO_SIMPLER, (("菜单", {"nav": "nav_menu"}), ("找社工", {"intent": "request_human"})))
        elif intent == "nav_exit":
            self._unpause(st)
            self._say(turn, M.DENY_REPLY)
        else:
            self._menu(turn)

    _pause = staticmethod(pause)
    _unpause = staticmethod(unpause)

    def _offer_resume(self, turn: Turn) -> None:
        st = turn.state
        paused = st["paused"]
        flow = self.flows.get(paused["flow"])
        offers = int(paused.get("offers", 0)) + 1
        if flow is None or offers > 2:
            # Offered twice and not taken: stop asking (菜单 still leads back to every tutorial).
            self._unpause(st)
            return
        paused["offers"] = offers
        st["pending"] = {"type": "resume"}
        self._say(turn, M.RESUME_OFFER.format(title=flow.title, n=int(paused["step"]) + 1),
                  (("继续", {"answer": "yes"}), ("不用了", {"answer": "no"})))

    # ---- knowledge answers -----------------------------------------------------------------

    def _marketing(self, turn: Turn, parse: ParseResult, more: bool = False) -> None:
        st = turn.state
        leader = self.flows.get("community_groupbuy_leader_tutorial")
        if leader and not more and parse.intent in leader.intents and re.search(r"团长|建群|管群|群主", parse.text or ""):
            self._start_flow(turn, leader, parse.intent)  # "怎么当社区团长": the tutorial is the answer
            return
        entries = self.kb.by_intent(parse.intent, "marketing")
        if not entries:
            self._answer_from_search(turn, parse.text or parse.intent, parse)
            return
        entry = entries[0]
        slots = st["slots"]
        family = PLATFORM_FAMILY.get(str(slots.get("platform") or ""), slots.get("platform"))
        budget = slots.get("budget")
        tips = []
        for tip in entry.get("tips") or []:
            tip = tip if isinstance(tip, dict) else {"text": str(tip)}
            platforms = [PLATFORM_FAMILY.get(p, p) for p in tip.get("platforms") or []]
            if platforms and family not in platforms:
                continue
            if budget is not None and (
                (tip.get("budget_max") is not None and budget > tip["budget_max"])
                or (tip.get("budget_min") is not None and budget < tip["budget_min"])
            ):
                continue
            tips.append((bool(platforms), tip["text"]))
        tips.sort(key=lambda t: not t[0])  # tips for their platform first
        shown = tips[3:] if more else tips[:3]
        if more and not shown:
            self._say(turn, M.NO_MORE_TIPS, (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))
            return
        lines = [f"【{entry['title']}】"]
        context = "、".join(x for x in (family or "", f"预算{budget}元" if budget else "") if x)
        if context:
            lines[0] += f"（{context}）"
        lines += [f"{i}. {t}" for i, (_, t) in enumerate(shown, 1)]
        if family and not any(specific for specific, _ in tips):
            lines.append(M.SAME_ON_PLATFORM.format(platform=family))
        extra = []
        if entry.get("mutual_aid") and not more:
            extra.append(M.MUTUAL_AID.format(text=entry["mutual_aid"]))
        if entry.get("social_worker") and not more:
            extra.append(M.SOCIAL_WORKER_HELP.format(text=entry["social_worker"]))
        buttons: list[Any] = [(f.title, {"flow": f.id}) for f in self.flows.values() if parse.intent in f.intents]
        if not more and len(tips) > 3:
            buttons.append((M.MORE_TIPS, {"intent": parse.intent, "more": True}))
        buttons += [("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})]
        if extra:
            self._say(turn, "\n".join(lines))
            self._say(turn, "\n".join(extra), tuple(buttons))
        else:
            self._say(turn, "\n".join(lines), tuple(buttons))
        st["topic"] = {"intent": parse.intent}

    def _hotline(self, turn: Turn, parse: ParseResult) -> None:
        """"反诈专线是多少" / "美团客服电话": a verified hotline from the content, never a guessed number."""
        text = parse.text or ""
        buttons = (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"}))
        hotlines = self.kb.by_kind("hotline")
        number = re.search(r"\d{3,6}", text)
        entry = next((h for h in hotlines if number and str(h.get("number")) == number.group(0)), None)
        if entry is None and number:  # "12366是什么电话": a number we have not verified; never another one
            self._say(turn, M.HOTLINE_UNKNOWN, buttons)
            return
        if entry is None and (parse.entity_values("platform") or "客服" in text):
            self._say(turn, M.PLATFORM_SERVICE, buttons)
            return
        if entry is None:
            ids = {h["id"] for h in hotlines if not str(h.get("number", "")).count("/")}
            hit = next((h for h in self.kb.search(text, limit=5, kinds=("hotline",)) if h.id in ids), None)
            entry = self.kb.get(hit.id) if hit else None
        if entry is None:
            self._say(turn, M.HOTLINE_UNKNOWN, buttons)
            return
        notes = [str(n) for n in entry.get("notes") or []][:2]
        self._say(turn, "\n".join([M.HOTLINE_LINE.format(number=entry["number"], use=entry["use"]), *notes]), buttons)

    def _policy(self, turn: Turn, parse: ParseResult) -> None:
        if parse.intent == "ask_hotline":
            self._hotline(turn, parse)
            return
        st = turn.state
        entries = self.kb.by_intent(parse.intent, "policy")
        if not entries:
            self._answer_from_search(turn, parse.text or parse.intent, parse)
            return
        entry = entries[0]
        if len(entries) > 1 and parse.text:
            ids = {e["id"] for e in entries}
            hit = next((h for h in self.kb.search(parse.text, limit=10, kinds=("policy",)) if h.id in ids), None)
            if hit:
                entry = self.kb.get(hit.id)
        group = GROUP_RE.search(parse.text or "")
        if group and not any(group.group(0) in json.dumps(e, ensure_ascii=False) for e in entries):
            # "我是残疾人 有什么补贴": none of our policies is about that group; do not show a wrong one.
            self._say(turn, M.POLICY_NOT_COVERED, (("找社工", {"intent": "request_human"}),
                                                   *((e["title"], {"entry": e["id"]}) for e in entries[:3])))
            return
        self._say_policy(turn, entry)
        others = [e for e in entries if e["id"] != entry["id"]][:2]
        buttons: list[Any] = [(e["title"], {"entry": e["id"]}) for e in others]
        buttons += [("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})]
        self._say(turn, M.POLICY_ELIGIBILITY, tuple(buttons))
        st["topic"] = {"intent": parse.intent, "entry": entry["id"]}
        turn.rate = {"kind": "policy", "subject": entry["id"], "title": str(entry["title"])}

    def _say_policy(self, turn: Turn, entry: dict[str, Any]) -> None:
        resident = self._persona(turn.state) == "resident"
        head = f"【{entry['title']}】"
        meta = "，".join(str(entry[k]) for k in ("issuer", "date") if entry.get(k))
        if meta:
            head += f"（{meta}）"
        lines = [head, str(entry.get("summary", "")).strip()]
        points = entry.get("points") or []
        if points and not resident:
            lines += [f"・{p}" for p in points[:4]]
        self._say(turn, "\n".join(x for x in lines if x))
        tail = [M.POLICY_HOW.format(text=str(entry["how"]).strip()), M.POLICY_CAVEAT.format(text=str(entry["caveat"]).strip())]
        tail.append(M.SOURCE_LINE.format(source=entry["source"], reviewed=entry["reviewed"]))
        self._say(turn, "\n".join(tail))

    def _policy_menu(self, turn: Turn) -> None:
        self._say(turn, M.POLICY_MENU, tuple((label, {"intent": intent}) for label, intent in M.POLICY_TOPICS))

    def _tool(self, turn: Turn, parse: ParseResult, need: str | None = None) -> None:
        st = turn.state
        if parse.intent == "followup_cost":
            if not self._context_followup(turn, parse, parse.text):
                self._say(turn, M.WHICH_ONE)
            return
        need = need or TOOL_NEED_BY_INTENT.get(parse.intent)
        if need is None and parse.intent != "tool_recommend":
            need = st["slots"].get("need")
        if need is None:
            need = next((n for n, words in TOOL_NEED_WORDS if any(w in (parse.text or "") for w in words)), None)
        if need is None:
            self._say(turn, M.TOOL_NEED_ASK, tuple((label, {"need": n}) for label, n in M.TOOL_NEEDS))
            return
        st["slots"]["need"] = need
        tools = [t for t in self.kb.by_kind("tool") if t.get("need") == need][:3]
        if not tools:
            self._answer_from_search(turn, parse.text or need, parse)
            return
        lines = [M.TOOL_INTRO.format(need=M.TOOL_NEED_LABELS.get(need, need))]
        for i, t in enumerate(tools, 1):
            lines.append(M.TOOL_LINE.format(n=i, name=t["name"], reason=t["reason"], difficulty=t.get("difficulty", "")))
        lines.append(f"收费：{tools[0]['free']}")
        lines.append(M.TOOL_FOLLOWUP)
        buttons: list[Any] = [("怎么用", {"intent": "followup_howto"}), ("收费吗", {"intent": "followup_cost"})]
        buttons += [(f"{t['name']}怎么用", {"tool_howto": t["id"]}) for t in tools[1:]]
        buttons.append(("菜单", {"nav": "nav_menu"}))
        self._say(turn, "\n".join(lines), tuple(buttons))
        st["tool"], st["tools"] = tools[0]["id"], [t["id"] for t in tools]
        st["topic"] = {"intent": parse.intent}
        turn.rate = {"kind": "tool", "subject": f"need:{need}", "title": M.TOOL_NEED_LABELS.get(need, need)}

    def _platform_by_name(self, names: list[str], platforms: list[dict[str, Any]] | None = None
                          ) -> dict[str, Any] | None:
        """The platform entry (of ``platforms``, default all) named by a platform entity value.

        An exact name wins, then an entry with a tutorial (美团 -> 美团闪购, not the closed 美团优选).
        """
        if not names:
            return None
        platforms = self.kb.by_kind("platform") if platforms is None else platforms
        matches = [p for p in platforms if p["name"] in names or any(n in p["name"] for n in names)]
        exact = [p for p in matches if p["name"] in names]
        taught = [p for p in matches if p.get("tutorial") in self.flows]
        return (exact or taught or matches or [None])[0]

    def _tool_by_name(self, name: str) -> dict[str, Any] | None:
        for t in self.kb.by_kind("tool"):
            if name and (name in t["name"] or t["name"] in name):
                return t
        return None

    def _answer_entry(self, turn: Turn, entry_id: str, text: str) -> None:
        entry = self.kb.get(entry_id)
        if entry is None:
            self._fallback(turn, self._synthetic("nlu_fallback", text, "out_of_scope"), text)
            return
        kind = entry["kind"]
        if kind == "tutorial" and entry_id in self.flows:
            self._start_flow(turn, self.flows[entry_id])
        elif kind == "policy":
            self._say_policy(turn, entry)
            self._say(turn, M.POLICY_ELIGIBILITY, (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))
            turn.rate = {"kind": "policy", "subject": entry_id, "title": str(entry["title"])}
        elif kind == "marketing" and entry["intents"]:
            self._marketing(turn, self._synthetic(entry["intents"][0], text))
        elif kind == "tool":
            turn.state["tool"] = entry_id
            lines = [f"{entry['name']}：{entry['reason']}", f"收费：{entry['free']}"]
            self._say(turn, "\n".join(lines), M.TOOL_BUTTONS)
            turn.rate = {"kind": "tool", "subject": entry_id, "title": str(entry["name"])}
        elif kind == "hotline":
            self._say(turn, f"{entry['number']}：{entry['use']}\n{entry.get('notes', '')}".strip())
        elif kind == "platform":
            self._say_platform(turn, entry)

    def _say_platform(self, turn: Turn, entry: dict[str, Any]) -> None:
        text = M.PLATFORM_NOTES.format(name=entry["name"], summary=str(entry["summary"]).strip())
        alts = entry.get("alternatives") or []
        if alts:
            text += "\n" + M.ALTERNATIVES.format(names="、".join(map(str, alts)))
        buttons: list[Any] = []
        if entry.get("tutorial") in self.flows:
            buttons.append((f"教我用{entry['name']}", {"flow": entry["tutorial"]}))
        buttons.append(("菜单", {"nav": "nav_menu"}))
        self._say(turn, text, tuple(buttons))

    def _answer_from_search(self, turn: Turn, question: str, parse: ParseResult) -> None:
        """No flow or entry for this intent: answer with the best knowledge matches, if any."""
        if parse.intent == "choose_grocery_app":
            platforms = self.kb.by_intent("choose_grocery_app", "platform")
            match = self._platform_by_name(parse.entity_values("platform"), platforms)
            if match:
                self._say_platform(turn, match)
                return
            operating = [p for p in platforms if p.get("state") == "operating"]
            if operating:
                lines = ["现在还能用的买菜软件有（以您所在城市能不能下单为准）："]
                place = next(iter(parse.entity_values("region")), "").rstrip("省市区县")
                local = [p for p in operating if place and place in f"{p.get('title', '')}{p.get('summary', '')}"
                         f"{''.join(map(str, p.get('keywords') or []))}"]
                if local:  # "我在湖南 用啥买菜好": the regional ones first
                    lines = [M.REGION_APPS.format(region=place, names="、".join(p["name"] for p in local)), *lines]
                    operating = local + [p for p in operating if p not in local]
                lines += [f"・{p['name']}" for p in operating]
                self._say(turn, "\n".join(lines), tuple(
                    (p["name"], {"entry": p["id"]}) for p in operating[:6]))
                return
        hits = self.kb.search(question, limit=3)
        if hits:
            self._say(turn, M.DID_YOU_MEAN, tuple((h.title, {"entry": h.id}) for h in hits)
                      + (("找社工", {"intent": "request_human"}),))
        else:
            self._say(turn, M.NO_TUTORIAL, (("找社工", {"intent": "request_human"}), ("菜单", {"nav": "nav_menu"})))

    # ---- people ----------------------------------------------------------------------------

    def _urgent(self, turn: Turn, parse: ParseResult) -> None:
        st = turn.state
        if st.get("flow"):
            self._pause(st, st["flow"], st.get("step", 0))
            st["flow"] = None
        st["pending"] = None
        self._say(turn, URGENT_TEXT.get(parse.intent, M.URGENT_SCAM))
        turn.events.append({"type": "help_request", "priority": "urgent", "reason": parse.intent})
        st["urgent_turn"] = st["turns"]

    def urgent_text(self, intent: str) -> str:
        """The first words for an urgent message: what to do now and the hotline."""
        return URGENT_TEXT.get(intent, M.URGENT_SCAM)

    def _request_help(self, turn: Turn, reason: str, text: str) -> None:
        """The person said yes to sharing the conversation: the engine opens the ticket and says so."""
        turn.state["fallbacks"] = 0
        turn.events.append({"type": "help_request", "priority": "normal", "reason": reason, "consent": True})

    def _handoff(self, turn: Turn, parse: ParseResult) -> None:
        # Consent first: nothing is shared with a social worker without a yes (urgent is the exception).
        if parse.intent == "complain_bot":
            turn.state["pending"] = {"type": "handoff_offer", "reason": "complaint"}
            self._say(turn, M.COMPLAINT_REPLY, self._answer_buttons("handoff_offer", M.CONSENT_BUTTONS))
            return
        turn.state["pending"] = {"type": "handoff_consent", "reason": "asked"}
        self._say(turn, M.CONSENT_ASK, self._answer_buttons("handoff_consent", M.CONSENT_BUTTONS))

    def _fallback(self, turn: Turn, parse: ParseResult, text: str) -> None:
        if self._missed(turn):
            return
        hits = self.kb.search(text, limit=3) if text.strip() else []
        if hits:
            self._say(turn, M.DID_YOU_MEAN, tuple((h.title, {"entry": h.id}) for h in hits)
                      + (("都不是", {"nav": "nav_menu"}),))
        else:
            self._say(turn, M.NOT_UNDERSTOOD)
            self._menu(turn)

    def _missed(self, turn: Turn, first: str = "") -> bool:
        """Count a misunderstanding; at the limit, offer a social worker (True when offered)."""
        st = turn.state
        st["fallbacks"] = int(st.get("fallbacks", 0)) + 1
        if st["fallbacks"] < self.fallbacks_before_handoff:
            return False
        st["pending"] = {"type": "handoff_offer", "reason": "fallbacks"}
        if first:
            self._say(turn, first)
        self._say(turn, M.OFFER_HUMAN, self._answer_buttons("handoff_offer", M.OFFER_HUMAN_BUTTONS))
        return True

    def _privacy(self, turn: Turn, parse: ParseResult) -> None:
        if OTHERS_RECORDS_RE.search(parse.text or ""):
            # 把张阿姨的聊天记录发给我: a person's data is shown to or deleted by that person only.
            actions = ({"intent": "privacy_view"}, {"intent": "request_human"}, {"nav": "nav_menu"})
            self._say(turn, M.PRIVACY_OTHERS, tuple(zip(M.PRIVACY_OTHERS_BUTTONS, actions)))
        elif parse.intent == "privacy_delete":
            # A clear request is asked once; a weak reading twice, the second time saying what goes.
            left = 1 if parse.confidence >= DELETE_SURE else 2
            turn.state["pending"] = {"type": "confirm_delete", "left": left}
            self._say(turn, M.PRIVACY_CONFIRM, self._answer_buttons("confirm_delete", M.PRIVACY_CONFIRM_BUTTONS))
        else:
            self._say(turn, M.PRIVACY_VIEW)

    def _smalltalk(self, turn: Turn, parse: ParseResult) -> None:
        intent = parse.intent
        if intent == "greet":
            self._menu(turn, M.WELCOME)
        elif intent == "bot_capabilities":
            self._menu(turn, M.CAPABILITIES)
        elif intent == "bot_identity":
            self._say(turn, M.IDENTITY)
        elif intent == "thank":
            self._say(turn, M.THANKS_REPLY)
        elif intent == "goodbye":
            self._say(turn, M.BYE_REPLY)
        elif intent == "deny":
            self._say(turn, M.DENY_REPLY)
        elif intent == "self_intro":
            text = parse.text or ""
            if self._says_who_they_are(turn, parse, text):
                return
            persona = persona_of_intro(text)  # "我是开小饭馆的 美团……": a merchant, whatever follows
            if persona:
                turn.state["slots"]["persona"] = persona
            named = parse.entity_values("platform")
            if not (named and self._howto_platform(turn, named, text)):  # 我是老人家 咋用盒马
                self._menu(turn, M.SELF_OTHER)
        else:
            self._say(turn, M.OK_REPLY)

    def _out_of_scope(self, turn: Turn, parse: ParseResult) -> None:
        if self._missed(turn, M.OUT_OF_SCOPE):
            return
        self._menu(turn, M.OUT_OF_SCOPE)

    def _maybe_ask_persona(self, turn: Turn, capability: str) -> None:
        st = turn.state
        if st["slots"].get("persona") or st.get("persona_asked") or capability != "policy" or st.get("pending"):
            return
        st["persona_asked"] = True
        self._say(turn, M.PERSONA_ASK, tuple((label, {"persona": p}) for label, p in M.PERSONA_BUTTONS))
