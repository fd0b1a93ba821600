"""Tutorials that follow the person: progress reports, step questions, mistakes, sub-steps.

Pure dialogue logic on a small flow written here (no NLU model, no database): the parse is
made by hand, so these tests check the reading of the step data, not the classifier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import FlowError
from bot.flows import load_flows
from dialogues.manager import DialogueManager
from dialogues.skills.tutorial import reading as F
from nlu.result import ParseResult
from nlu.training_data import Entity

KITS = """kits:
  login:
    cues: [登, 验证码]
    questions:
      - match: [没收到, 验证码+没]
        answer: 验证码短信过一会儿就到，可以点重新获取。
    substeps:
      - 点登录。
      - 填手机号。
      - 填验证码。
    fix: 手机号填错了，退出登录再用自己的号登。
"""

SHOP = """flow: shop
kind: tutorial
title: 买菜演示
audience: resident
intents: [grocery_order]
source: facts.md §3.2
reviewed: 2026-11-22
intro_named: 好的，{platform}没有单独的教程，按通用步骤教您。
steps:
  - id: get_app
    text: 第1步：装APP。
    cues: [装, 下载]
  - id: login
    text: 第2步：登录。
    simpler: 填手机号和短信里的数字。
    kit: login
  - id: address
    text: 第3步：填地址。
    cues: [地址, 门牌]
    questions:
      - match: [楼号, 哪一栏]
        answer: 楼号写在详细地址那一栏。
    fix: 地址写错了，在收货地址里点编辑改好。
  - id: cart
    text: 第4步：放进购物车。
    cues: [购物车, 放进]
    questions:
      - match: [点了两下, 两份]
        answer: 点两下就是两份，点减号少一份。
  - id: pay
    text: 第5步：付钱。
    cues: [付, 支付]
  - id: receive
    text: 第6步：收货检查。
    cues: [送到, 收到货]
    questions:
      - match: [烂, 坏]
        answer: 拍照申请售后。
"""


class EmptyKB:
    def search(self, *a, **k):
        return []

    def by_intent(self, *a, **k):
        return []

    def by_kind(self, *a, **k):
        return [{"name": "京东到家", "state": "unverified", "summary": "没核实"}]

    def get(self, *a, **k):
        return None


def _write(tmp_path: Path, shop: str = SHOP, kits: str | None = KITS) -> Path:
    d = tmp_path / "flows"
    (d / "shared").mkdir(parents=True, exist_ok=True)
    (d / "shop.yml").write_text(shop, encoding="utf-8")
    if kits is not None:
        (d / "shared" / "step_kits.yml").write_text(kits, encoding="utf-8")
    return d


@pytest.fixture()
def flows(tmp_path):
    return load_flows(_write(tmp_path), {"grocery_order"})


@pytest.fixture()
def manager(flows):
    return DialogueManager(flows, EmptyKB())


def _parse(text: str, intent: str = "out_of_scope", entities: tuple[Entity, ...] = ()) -> ParseResult:
    cap = {"grocery_order": "teach", "out_of_scope": "out_of_scope", "nav_next": "smalltalk",
           "nav_simpler": "smalltalk", "nav_prev": "smalltalk", "thank": "smalltalk",
           "policy_consumer_rights": "policy"}[intent]
    return ParseResult(text, intent, cap, 0.9, entities)


def _start(manager):
    return manager.advance(None, _parse("教我买菜", "grocery_order"), "教我买菜").state


def _say(manager, state, text, intent="out_of_scope"):
    turn = manager.advance(state, _parse(text, intent), text)
    return turn, turn.state


# ---- reading a message against the steps ---------------------------------------------------

def test_kit_fills_the_step_and_own_keys_win(flows):
    login = flows["shop"].steps[1]
    assert login.cues == ("登", "验证码") and len(login.substeps) == 3 and login.fix.startswith("手机号")
    assert login.questions[0].match == (("没收到",), ("验证码", "没"))
    assert flows["shop"].intro_named.startswith("好的，{platform}")


@pytest.mark.parametrize(("text", "done", "bare"), [
    ("装好了 登上了 地址也填了", [0, 1, 2], False),
    ("放进去了", [3], False),
    ("好了", [], True),
    ("下载好咧", [0], False),
    ("不用教登录", [1], False),
    ("明白了谢谢你哈", [], False),  # thanks, not a report
    ("我以前好像付过", [], False),  # not sure: not a report
    ("门牌号没看见", [], False),  # a problem, not a report
    ("不想学了", [], False),  # not done: no report (the NLU decides: 退出)
    ("还没装好", [], False),
])
def test_reports_of_progress(flows, text, done, bare):
    reading = F.read(flows["shop"], 0, text)
    assert reading.done == done and reading.bare_done is bare


def test_the_step_reached_is_the_one_after_the_last_done(flows):
    reading = F.read(flows["shop"], 1, "装好了 登上了 地址也填了")
    assert F.reached(reading, 1) == 3
    assert F.reached(F.read(flows["shop"], 4, "装好了"), 4) is None  # earlier steps only: no jump


def test_step_questions_match_words_and_word_sets(flows):
    assert F.best_question(flows["shop"], "楼号写在哪啊", 2)[0] == 2
    assert F.best_question(flows["shop"], "验证码一直没来", 0)[0] == 1  # 验证码+没
    assert F.best_question(flows["shop"], "今天天气好", 2) is None


# ---- the tutorial follows ------------------------------------------------------------------

def test_progress_report_jumps_to_the_step_reached(manager):
    st = _start(manager)
    turn, st = _say(manager, st, "装好了 登好了 地址也填了")
    assert st["step"] == 3 and "第4步" in turn.replies[-1].text and turn.capability == "teach"
    turn, st = _say(manager, st, "放进去了")
    assert st["step"] == 4


def test_a_step_question_is_answered_and_the_step_stays(manager):
    st = _start(manager)
    st["step"] = 2
    turn, st = _say(manager, st, "那个楼号写在哪一栏啊")
    assert "详细地址" in turn.replies[-1].text and st["step"] == 2 and "下一步" in turn.replies[-1].buttons


def test_a_report_and_a_question_about_the_step_before(manager):
    st = _start(manager)
    st["step"] = 3
    turn, st = _say(manager, st, "加号我点了两下 是不是买了两份")
    assert "两份" in turn.replies[-1].text and st["step"] == 3  # still the cart step


def test_a_later_steps_question_is_answered_in_place(manager):
    st = _start(manager)
    st["step"] = 1
    turn, st = _say(manager, st, "要是送来的菜烂了咋办")
    assert "售后" in turn.replies[-1].text and st["step"] == 1


def test_a_mistake_gets_the_fix_and_the_step_stays_then_back(manager):
    st = _start(manager)
    st["step"] = 4
    turn, st = _say(manager, st, "上一步我弄错了 门牌号写成502了 能改吗")
    assert "编辑" in turn.replies[-1].text and st["step"] == 4 and st["fixing"] == 2
    turn, st = _say(manager, st, "改好了")
    assert st["step"] == 4 and "第5步" in turn.replies[-1].text and "fixing" not in st


def test_a_mistake_without_a_fix_goes_back_to_that_step(manager):
    st = _start(manager)
    st["step"] = 4
    turn, st = _say(manager, st, "购物车里放错了 能改吗")
    assert st["step"] == 3 and "第4步" in turn.replies[-1].text


def test_second_not_understood_walks_the_substeps(manager):
    st = _start(manager)
    st["step"] = 1
    turn, st = _say(manager, st, "没看懂", "nav_simpler")
    assert "填手机号和短信里的数字" in turn.replies[-1].text
    turn, st = _say(manager, st, "还是没看懂", "nav_simpler")
    assert "①" in turn.replies[-1].text and st["substep"] == 0 and turn.capability == "teach"
    assert "这一步确实不容易" not in turn.replies[-1].text
    turn, st = _say(manager, st, "下一步", "nav_next")
    assert "②" in turn.replies[-1].text and st["step"] == 1
    turn, st = _say(manager, st, "下一步", "nav_next")
    turn, st = _say(manager, st, "下一步", "nav_next")
    assert st["step"] == 2 and "substep" not in st  # after the last sub-step: the next step
    turn, st = _say(manager, st, "没看懂", "nav_simpler")
    turn, st = _say(manager, st, "没看懂", "nav_simpler")
    assert "不容易" in turn.replies[-1].text  # nothing finer: a person is offered


def test_thanks_and_other_capabilities_are_not_progress(manager):
    st = _start(manager)
    turn, st = _say(manager, st, "明白了谢谢你哈", "thank")
    assert st.get("flow") != "shop" or st["step"] == 0


def test_a_request_for_a_person_is_never_read_as_progress(manager):
    st = _start(manager)
    parse = ParseResult("好了 叫个人来", "request_human", "handoff", 0.9)
    turn = manager.advance(st, parse, parse.text)
    assert turn.capability == "handoff" and not any("第2步" in r.text for r in turn.replies)


def test_words_explained_in_place_keep_the_step(manager):
    st = _start(manager)
    st["step"] = 2
    turn, st = _say(manager, st, "那团长又是谁")
    assert "团长" in turn.replies[0].text and st["step"] == 2 and turn.capability == "teach"


def test_an_app_without_its_own_tutorial_gets_the_general_one_naming_it(tmp_path):
    specific = SHOP.replace("flow: shop", "flow: shop_hema").replace("intro_named: 好的，{platform}没有单独的教程，按通用步骤教您。\n",
                                                                    "when: {platform: 盒马}\n")
    d = _write(tmp_path)
    (d / "shop_hema.yml").write_text(specific, encoding="utf-8")
    manager = DialogueManager(load_flows(d, {"grocery_order"}), EmptyKB())
    parse = _parse("我想用京东到家买点东西", "grocery_order", (Entity("platform", "京东到家", 3, 7, "京东到家"),))
    turn = manager.advance(None, parse, parse.text)
    assert turn.state["flow"] == "shop" and "京东到家没有单独的教程" in turn.replies[0].text
    turn = manager.advance(turn.state, _parse("下一步", "nav_next"), "下一步")
    assert "第2步" in turn.replies[-1].text and turn.capability == "teach"


# ---- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "kits", "message"), [
    (lambda t: t.replace("kit: login", "kit: logon"), KITS,
     r"shop.yml:\d+: flow 'shop' step 'login': unknown kit 'logon' in 'kit'. Known kits .*: login"),
    (lambda t: t.replace("      - match: [楼号, 哪一栏]\n", "      - match: []\n"), KITS,
     r"shop.yml:\d+: flow 'shop': 'steps.2.questions.0.match'"),
    (lambda t: t.replace("        answer: 楼号写在详细地址那一栏。\n", ""), KITS,
     r"shop.yml:\d+: flow 'shop': 'steps.2.questions.0.answer'"),
    (lambda t: t.replace("    cues: [装, 下载]\n", "    cues: [装, 下载]\n    substeps: [只有一步]\n"), KITS,
     r"'steps.0.substeps'.*at least two sub-steps"),
    (lambda t: t.replace("      - match: [楼号, 哪一栏]", "      - match: [楼号+, 哪一栏]"), KITS,
     r"'steps.2.questions.0.match'.*empty word"),
    (lambda t: t.replace("intro_named: 好的，{platform}", "intro_named: 好的，"), KITS,
     r"'intro_named' must say which app with \{platform\}"),
    (lambda t: t, KITS.replace("    fix:", "    fixx:"), r"step_kits.yml:\d+: unknown key 'kits.login.fixx'"),
    (lambda t: t, "kits: [login]\n", r"step_kits.yml:1: the step kits file must be a mapping"),
])
def test_follow_keys_are_validated_naming_file_and_key(tmp_path, change, kits, message):
    with pytest.raises(FlowError, match=message):
        load_flows(_write(tmp_path, change(SHOP), kits), {"grocery_order"})


def test_project_kits_are_used_by_the_grocery_tutorials(settings):
    flows = load_flows(settings.flows_dir)
    for fid in ("grocery_general", "grocery_duoduo", "grocery_hema"):
        steps = flows[fid].steps
        assert all(s.cues for s in steps), fid  # every step can be reported done
        assert any(s.substeps for s in steps) and any(s.fix for s in steps) and any(s.questions for s in steps)
    assert "{platform}" in flows["grocery_general"].intro_named


# ---- problems, acknowledgements, the same kind of step in another tutorial -----------------

def test_a_report_with_a_problem_does_not_jump(manager):
    st = _start(manager)
    turn, st = _say(manager, st, "装了 但是打不开")
    assert st["step"] == 0  # the problem is about where they are; no step with its answer here: the NLU decides


def test_a_clause_that_asks_a_step_question_is_no_report(flows):
    reading = F.read(flows["shop"], 3, "它那个加号我点了两下")
    assert reading.done == [] and reading.question[0] == 3


def test_understood_alone_keeps_the_step(manager):
    st = _start(manager)
    st["step"] = 2
    turn, st = _say(manager, st, "懂了", "nav_simpler")  # today's NLU hears 没看懂 in 懂了
    assert st["step"] == 2 and "下一步" in turn.replies[-1].text and "填手机号" not in turn.replies[-1].text


def test_a_mistake_in_a_step_further_on_gets_its_fix_there(manager):
    st = _start(manager)
    st["step"] = 1
    turn, st = _say(manager, st, "地址写错了 咋改")
    assert "编辑" in turn.replies[-1].text and st["step"] == 2 and "fixing" not in st


def test_an_intent_another_tutorial_enters_stays_in_this_one_at_the_same_kind_of_step(tmp_path):
    general = SHOP.replace("intents: [grocery_order]", "intents: [grocery_order, account_login]\n"
                           "entry: {account_login: login}").replace("flow: shop", "flow: shop_general")
    hema = SHOP.replace("flow: shop", "flow: shop_hema").replace(
        "intro_named: 好的，{platform}没有单独的教程，按通用步骤教您。\n", "when: {platform: 盒马}\n")
    d = _write(tmp_path, general)
    (d / "shop_hema.yml").write_text(hema, encoding="utf-8")
    manager = DialogueManager(load_flows(d, {"grocery_order", "account_login"}), EmptyKB())
    st = manager.advance(None, _parse("教我用盒马", "grocery_order", (Entity("platform", "盒马", 3, 5, "盒马"),)),
                         "教我用盒马").state
    assert st["flow"] == "shop_hema"
    st["step"] = 1
    parse = ParseResult("我登录不上去", "account_login", "teach", 0.9)
    turn = manager.advance(st, parse, parse.text)
    assert turn.state["flow"] == "shop_hema" and turn.state["step"] == 1  # not the general tutorial
    assert "填手机号和短信里的数字" in turn.replies[-1].text  # stuck: the simpler words first


@pytest.mark.parametrize("text", ["登录要验证码", "登录还要输验证码啊", "验证码是几位数"])
def test_a_statement_about_the_step_the_nlu_names_stays_in_this_tutorial(tmp_path, text):
    """No question word, no report: the NLU's kind of step (account_login) is this flow's login step."""
    general = SHOP.replace("intents: [grocery_order]", "intents: [grocery_order, account_login]\n"
                           "entry: {account_login: login}").replace("flow: shop", "flow: shop_general")
    duoduo = SHOP.replace("flow: shop", "flow: shop_duoduo").replace(
        "intro_named: 好的，{platform}没有单独的教程，按通用步骤教您。\n", "when: {platform: 多多买菜}\n")
    d = _write(tmp_path, general)
    (d / "shop_duoduo.yml").write_text(duoduo, encoding="utf-8")
    manager = DialogueManager(load_flows(d, {"grocery_order", "account_login"}), EmptyKB())
    start = _parse("教我用多多买菜", "grocery_order", (Entity("platform", "多多买菜", 3, 7, "多多买菜"),))
    st = manager.advance(None, start, start.text).state
    st["step"] = 1
    turn = manager.advance(st, ParseResult(text, "account_login", "teach", 0.9), text)
    assert turn.state["flow"] == "shop_duoduo" and turn.state["step"] == 1  # not the general tutorial
    assert "第2步" in turn.replies[-1].text and not turn.state.get("paused")


@pytest.mark.parametrize(("text", "step"), [
    ("我到付钱那一步了", 4), ("现在在填地址", 2), ("我到第2步了", 1), ("第五步", 4), ("第十步", None),
])
def test_where_they_are(flows, text, step):
    assert F.read(flows["shop"], 3, text).at == step


def test_saying_where_they_are_goes_there_back_or_forward(manager):
    st = _start(manager)
    turn, st = _say(manager, st, "我到付钱那一步了")
    assert st["step"] == 4 and "第5步" in turn.replies[-1].text
    turn, st = _say(manager, st, "我还没装呢")  # not done yet: back to that step
    assert st["step"] == 0


def test_next_after_an_app_with_no_tutorial_is_never_the_menu(manager):
    from dialogues.state import new_state

    st = new_state()
    st["slots"]["platform"] = "京东到家"  # named in the last answer (what we know of the app)
    turn, st = _say(manager, st, "下一步", "nav_next")
    assert st["flow"] == "shop" and "京东到家没有单独的教程" in turn.replies[0].text and turn.capability == "teach"


def test_a_step_question_in_the_message_that_starts_a_tutorial_is_answered_too(manager):
    text = "教我买菜 那个楼号写在哪一栏"
    turn = manager.advance(None, _parse(text, "grocery_order"), text)
    said = [r.text for r in turn.replies]
    assert turn.state["flow"] == "shop" and turn.state["step"] == 0  # the tutorial starts at its first step
    assert said[0] == "楼号写在详细地址那一栏。" and "第1步" in said[-1]  # the answer first, then the step
    plain = manager.advance(None, _parse("教我买菜", "grocery_order"), "教我买菜")
    assert "详细地址" not in "\n".join(r.text for r in plain.replies)


def test_an_exclamation_is_no_progress_and_a_done_steps_question_is_answered_in_place(manager):
    st = _start(manager)
    st["step"] = 2  # at the address step; the login step is done
    turn, st = _say(manager, st, "笑死我了 原来验证码没收到是没来短信")
    assert st["step"] == 1  # 没收到: not done after all, back to that step
    st["step"] = 2
    read = F.read(manager.flows["shop"], 2, "笑死我了")
    assert not read.bare_done and not read.done


def test_a_question_about_a_step_already_done_keeps_the_current_step(tmp_path):
    shop = SHOP.replace("""      - match: [没收到, 验证码+没]""", """      - match: [拦截]
        answer: 在短信里把它设成不拦截。
      - match: [没收到, 验证码+没]""")
    manager = DialogueManager(load_flows(_write(tmp_path, shop, KITS.replace(
        "      - match: [没收到, 验证码+没]", "      - match: [拦截]\n        answer: 在短信里把它设成不拦截。\n      - match: [没收到, 验证码+没]")),
        {"grocery_order"}), EmptyKB())
    st = _start(manager)
    st["step"] = 2
    turn, st = _say(manager, st, "原来短信给拦截了 以后咋不让它拦")
    assert st["step"] == 2 and turn.replies[-1].text == "在短信里把它设成不拦截。"
