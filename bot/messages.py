"""What channels and operators say: errors, commands, staff notices, ticket and queue lines.

The dialogue's own sentences live in ``dialogues/texts.py``; they are re-exported here so
``messages.X`` keeps naming every sentence the bot says (``for_error`` and the channels
read them from here, and the privacy test checks them all).
"""

from __future__ import annotations

from dialogues.texts import *  # noqa: F403 (the dialogue's sentences, as messages.X)

SORRY_GENERIC = "抱歉，系统出了点问题。您的话已经记下了，请稍后再试，或者输入“找社工”请人来帮您。"
# The error handler cannot know whether the words were stored: it does not say they were.
SORRY_TRY_AGAIN = "抱歉，系统出了点问题。请稍后再发一次，或者输入“找社工”请人来帮您。"
UNKNOWN_COMMAND = (
    "这个命令我不认识。您直接打字问我就行。\n"
    "常用命令：/menu 菜单　/human 找社工　/delete_my_data 删除我的信息"
)
BUTTON_STALE = "这个按钮已经失效了，请直接打字告诉我您想做什么。"
# When even storing the message failed: never say it was kept.
SORRY_NOT_STORED = "抱歉，系统出了点问题，这条消息没能保存。请稍后再发一次，或者输入“找社工”请人来帮您。"
EMPTY_MESSAGE = "您好像还没有输入文字。想问什么，直接打字告诉我就行。"
START_TEXT = (
    "您好，我是邻里助手 🙂\n"
    "我能教您用手机买菜、给小店出主意、讲政策、推荐免费工具，也能帮您找社工。\n"
    "隐私提示：我会保存聊天记录（手机号、身份证号、银行卡号会打码），只用来帮您和让社工跟进，"
    "最多保存{days}天；发“删除我的信息”可以随时全部删除。"
)
HELP_COMMANDS = "常用命令：/menu 菜单　/human 找社工　/delete_my_data 删除我的信息"
STAFF_NORMAL = "📋 新工单 #{ticket}"
STAFF_URGENT = "🚨🚨 紧急工单 #{ticket} 🚨🚨 请马上接单！"
STAFF_URGENT_REPEAT = "🚨 紧急工单 #{ticket} 还没有人接，请马上接单！"
STAFF_RELAY = "#{ticket} 居民说：{text}"
STAFF_CLAIMED_SHORT = "接单成功"
# A social worker's words written outside Telegram, shown in the ticket's staff thread (never sent to the person).
STAFF_MIRROR_REPLY = "#{ticket} {name}（{via}）回复：{text}"
STAFF_MIRROR_PHOTO = "#{ticket} {name}（{via}）给对方发了一张图片 {text}"
STAFF_MIRROR_NOTE = "#{ticket} {name}（{via}）备注：{text}"
STAFF_VIA = {"web": "网页工作台", "cli": "命令行"}
STAFF_CLAIMED_BY = "✅ 已由{name}接单"
# The ticket's post in the staff group shows where the ticket is now, whichever channel changed it.
STAFF_POST_ANSWERED = "💬 社工已回复对方"
STAFF_POST_CLOSED = "☑️ 已结束（{name}）"
STAFF_POST_OUTCOME = "结果：{outcome}"
STAFF_POST_ENDED_BY_PERSON = "☑️ 对方自己结束了对话"
STAFF_THREAD_OPENED = "工单 #{ticket} 由{name}接手。在这里回复的话会转给对方；结束时发 /close 备注"
STAFF_HISTORY = "等待期间对方说过："
STAFF_HISTORY_WHO = {"user": "人", "worker": "社工", "system": "系统", "note": "备注"}
STAFF_NOT_WORKER = "只有登记过的社工才能接单、回复和结束工单。"
STAFF_TAKEN = "这个工单已经有人接了，或者已经结束。"
STAFF_CLAIM_FIRST = "请先点“接单”，再回复。"
STAFF_CLOSED = "工单 #{ticket} 已结束，对方已回到机器人。"
STAFF_REMIND_HOW = "回访提醒：在工单的话题里发 /remind 时间 备注，比如 /remind 明天上午10点 电话问问取菜顺利吗（不在话题里就在时间前加工单号：/remind 12 周五 …）。"
STAFF_REMIND_SET = "好的，工单 #{ticket} 的回访提醒定在{when}，到时间会发到这个群里。"
STAFF_CLOSE_WHERE = "请在工单的话题里（或回复工单消息）发 /close 备注。"
STAFF_NOT_YOURS = "这个工单由{name}负责。如果要由您接手，请在这里发 /takeover（对方会收到换人的通知）。"
STAFF_TOOK_OVER = "工单 #{ticket} 现在由{name}负责，已告诉对方。"
STAFF_QUEUE_EMPTY = "现在没有待处理的工单。"
STAFF_QUEUE_HEAD = "待处理工单（紧急的在前）："

CHAT_WELCOME = (
    "您好，我是邻里助手。\n"
    "我可以教您用手机买菜、帮小店出主意、讲讲政策、推荐免费工具，也可以帮您找社工。\n"
    "直接打字问我就行，按钮可以输入前面的数字。输入 /quit 结束。"
)
CHAT_BYE = "好的，再见！有事随时来找我。"

# Said by the engine around a hand-off: tickets, the queue, office hours, a social worker's words
HANDOFF_OPENED = "好的，已经交给社工了（编号 {ticket}）。社工会在这里直接回复您。"
QUEUE_AHEAD = "您前面还有 {ahead} 位在等，请耐心等一下。"
QUEUE_FIRST = "您是下一位。"
OFFICE_CLOSED = (
    "现在社工下班了，会在{when}上班后尽快回复您。\n"
    "如果事情很急：有危险打 110，着火打 119，急病打 120。不急的事想找政府部门，可以打 12345。"
)
HANDOFF_CONTINUED = "您的话已经转给社工，社工会尽快回复。想回到机器人，说“结束对话”就行。"
HANDOFF_ENDED_BY_PERSON = "好的，这次和社工的对话结束了，您的话社工都能看到。您可以接着问我；有需要，随时再说“找社工”。"
HANDOFF_ALREADY_WAITING = "您已经在等社工了（编号 {ticket}），社工会尽快联系您。{queue}\n等的时候，您也可以接着问我。"
HANDOFF_PRIVACY_FIRST = "您现在正在和社工聊天。要查看或删除您的信息，请先说“结束对话”，再跟我说“删除我的信息”。"
WORKER_PREFIX = "👩 社工{name}："
CLAIMED_NOTICE = "社工{name}已经来了，接下来您发的消息会直接转给社工。"
TAKEN_OVER_NOTICE = "接下来由社工{name}继续为您服务，您发的消息会转给他/她。"
RELEASED_NOTICE = "刚才的社工把您的求助交回了排队，下一位有空的社工会接着帮您，请稍等。"
CLOSED_NOTICE = "社工已经结束了这次对话。之后还是我（邻里助手）陪您，有事随时问我。"
WEEKDAYS = ("", "周一", "周二", "周三", "周四", "周五", "周六", "周日")
URGENT_HELP = "我已经请社工尽快联系您（紧急编号 {ticket}）。"
URGENT_HELP_CLOSED = "现在社工下班了，他们上班后会第一时间联系您（紧急编号 {ticket}）。请先打上面的电话。"

# Telegram only
IDS = "chat id: {chat}\nyour user id: {user}"
SLOW_DOWN = "您发得有点快，我跟不上啦。请慢一点，一条一条发，我都会看的。"

# The command menus set at every start (Telegram's / button): people, and the staff group.
USER_COMMANDS = (
    ("start", "开始，看看我能帮您做什么"),
    ("menu", "菜单"),
    ("human", "找社工"),
    ("help", "帮助和常用命令"),
    ("delete_my_data", "删除我的信息"),
)
STAFF_COMMANDS = (
    ("queue", "待处理的工单（紧急的在前）"),
    ("close", "在工单话题里结束工单：/close 备注"),
    ("takeover", "接手别的社工负责的工单"),
    ("remind", "回访提醒：/remind 明天上午10点 备注"),
    ("id", "显示本群和您的编号"),
)
# /help in the terminal chat (`linli chat`, or `make run` without a Telegram token).
TERMINAL_HELP = (
    "在这里直接打字问我就行，比如“我想学用手机买菜”“小店怎么引流”。\n"
    "有按钮时，输入按钮前面的数字也可以。\n"
    "找社工：输入“找社工”。删除我的信息：输入“删除我的信息”。\n"
    "退出：输入 /quit"
)

# The ticket card social workers read (Telegram post, `linli handoff show`): Chinese labels only.
CAPABILITY_LABELS = {
    "teach": "学用手机、平台操作", "marketing": "生意推广", "policy": "政策和规定", "tool": "免费工具",
    "urgent": "紧急情况", "handoff": "找社工", "privacy": "个人信息", "smalltalk": "打招呼、闲聊",
    "reminder": "提醒",
    "out_of_scope": "其他问题",
}
SLOT_LABELS = {"platform": "平台", "region": "地区", "budget": "预算", "product": "商品", "tool": "工具",
               "need": "需要"}
PERSONA_LABELS = {"resident": "居民（买菜/日用品）", "merchant": "商户", "social_worker": "社工"}

# Reminders when their time comes (bot/reminders.py); what the dialogue says is in dialogues/texts.py.
REMINDER_DUE = "⏰ 提醒您：{task}。"
REMINDER_NO_TASK = "您定的事到时间了"
REMINDER_LATE = "\n（这条提醒本来是{when}的，晚到了，抱歉。）"
FOLLOWUP_DUE = "⏰ 回访提醒：工单 #{ticket}。{note}"
FOLLOWUP_NO_NOTE = "该回访了。"
