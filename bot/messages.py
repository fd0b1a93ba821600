"""Every Chinese sentence the bot says, in one place."""

from __future__ import annotations

SORRY_GENERIC = "抱歉，系统出了点问题。您的话已经记下了，请稍后再试，或者输入“找社工”请人来帮您。"
EMPTY_MESSAGE = "您好像还没有输入文字。想问什么，直接打字告诉我就行。"
NON_TEXT_MESSAGE = "我现在只能看懂文字。请您用文字把问题打出来，我来帮您。"
NOT_UNDERSTOOD = "不好意思，我没听明白。可以换个说法，或者输入“找社工”。"

CHAT_WELCOME = (
    "您好，我是邻里助手。\n"
    "我可以教您用手机买菜、帮小店出主意、讲讲政策、推荐免费工具，也可以帮您找社工。\n"
    "直接打字问我就行。输入“退出”结束。"
)
CHAT_BYE = "好的，再见！有事随时来找我。"
