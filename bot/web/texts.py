"""What the web chat page and the console say (Chinese for people, as bot/messages.py does).

Kept here for now, while bot/messages.py is being restructured (issue 15); the privacy test
checks these sentences like the bot's own.
"""

from __future__ import annotations

# ---- the chat page (residents and merchants) ---------------------------------------------------
PAGE_TITLE = "邻里助手"
PAGE_SUBTITLE = "有事直接打字问我，或者按下面的按钮"
BIG_TEXT = "大字"
NORMAL_TEXT = "标准字"
FIND_WORKER = "找社工"
FIND_WORKER_SAYS = "找社工"  # what pressing 找社工 sends, as if typed
INPUT_PLACEHOLDER = "打字，或按话筒说话"
SEND = "发送"
YOU = "我"
BOT = "邻里助手"
SENDING = "正在发送……"
NETWORK_ERROR = "网络不太好，刚才这句没发出去。请检查网络，再按一次“发送”。"
TOO_LONG = "这段话有点长，我先看前面{chars}个字。"
WORKER_CHATTING = "社工{name}正在和您聊天"
WORKER_WAITING = "已经请社工了，社工会在这里回复您"
NO_SCRIPT = "请打开浏览器的 JavaScript 功能，才能和邻里助手聊天。"
BAD_REQUEST = "这条消息没能看懂，请重新打字发一次。"
PHOTO_BUTTON = "发照片"
VOICE_BUTTON = "录语音"
VOICE_STOP = "说完了，发送"
VOICE_RECORDING = "正在录音，说完请按“说完了，发送”。"
VOICE_UNAVAILABLE = "这个浏览器不能录音。您可以按手机键盘上的话筒说话，它会变成文字。"
VOICE_DENIED = "没有录音的权限。请允许使用话筒，或者按手机键盘上的话筒说话。"
UPLOADING = "正在发送……"
PHOTO_SENT = "（照片）"
VOICE_SENT = "（语音）"

# ---- the console (social workers) ---------------------------------------------------------------
CONSOLE_TITLE = "社工工作台"
LOGIN_TITLE = "社工登录"
LOGIN_WORKER = "社工编号或名字"
LOGIN_PASSWORD = "密码"
LOGIN_BUTTON = "登录"
LOGIN_FAILED = "编号、名字或密码不对，请再试一次。"
LOGIN_AMBIGUOUS_HINT = "如果有同名的社工，请用编号登录。"
LOGIN_TOO_MANY = "登录失败次数太多，请{minutes}分钟后再试。"
LOGIN_EXPIRED = "页面放得太久了，请重新登录。"
LOGIN_NEEDED = "请先登录。"
LOGOUT = "退出登录"
SIGNED_IN_AS = "{name}（编号 {worker}）"
QUEUE = "待处理"
QUEUE_EMPTY = "现在没有待处理的求助。"
RECENTLY_CLOSED = "最近结束的"
URGENT = "紧急"
NORMAL = "普通"
STATUS = {"waiting": "等待接单", "claimed": "处理中", "closed": "已结束"}
CHANNELS = {"web": "网页", "telegram": "Telegram", "terminal": "终端", "jsonl": "批量测试", "": "未知"}
PERSONAS = {"resident": "居民", "merchant": "商户", "social_worker": "社工", "": "未知"}
WAITED = "已等{time}"
MINUTES = "{n}分钟"
HOURS = "{h}小时{m}分钟"
JUST_NOW = "不到1分钟"
CARD_WHO = "是谁"
CARD_ASKED = "想问什么"
CARD_TRIED = "机器人已经做了什么"
CARD_MESSAGES = "最近的消息"
CARD_NOTES = "社工备注"
CARD_REGION = "地区"
CARD_NAME = "称呼"
CARD_CHANNEL = "渠道"
CARD_HANDLER = "负责社工"
CARD_OUTCOME = "结果"
CARD_DELETED = "本人已删除自己的信息，只留下了工单记录。"
TRIED_NOTHING = "还没有做什么。"
TRIED_TUTORIAL = "教过“{title}”，到第{step}步"
TRIED_TOPICS = "问过：{topics}"
TRIED_NOT_UNDERSTOOD = "有{n}次没听懂"
FROM_PERSON = "居民"
FROM_BOT = "机器人"
FROM_WORKER = "社工"
FROM_SYSTEM = "系统"
FROM_NOTE = "备注"
CLAIM = "接单"
TAKE_OVER = "改由我负责"
REPLY = "回复"
REPLY_PLACEHOLDER = "写给对方的话（会直接发给对方）"
NOTE = "加备注"
NOTE_PLACEHOLDER = "只有社工能看到的备注"
CLOSE = "结束"
REOPEN = "重新打开"
OUTCOMES = ("解决", "转介", "无法联系", "其他")
CLOSE_NOTE_PLACEHOLDER = "结束备注（可不填）"
URGENT_ALERT_TITLE = "🚨 有紧急求助！"
URGENT_BANNER = "有 {n} 个紧急求助还没人接，请马上处理！"
SOUND_ON = "打开提示音"
SOUND_IS_ON = "提示音已打开"
ACTION_FAILED = "没有成功：{why}"
NOT_YOURS = "这个求助由{name}负责。要改由您负责，请按“改由我负责”（对方会收到换人的通知）。"
REPORT_LINK = "需求报告"
LIBRARY_LINK = "查资料"
CARD_MEDIA = "图片和语音"
MEDIA_PHOTO = "图片"
MEDIA_VOICE = "语音"
MEDIA_HEARD = "转成文字："
MEDIA_FROM_WORKER = "社工发的"
REPLY_PHOTO = "回复图片"
WHY = {
    "not_waiting": "这个求助已经有人接了，或者已经结束。",
    "not_yours": "这个求助由别的社工负责。",
    "closed": "这个求助已经结束了。",
    "not_closed": "这个求助还没有结束。",
    "other_open": "对方现在有另一个正在处理的求助。",
    "deleted": "对方已删除自己的信息，不能再打开。",
    "empty": "请先写内容。",
    "outcome": "请选择结果：解决、转介、无法联系或其他。",
    "claim_first": "请先接单，再回复。",
    "missing": "找不到这个求助。",
    "session": "登录已过期，请重新登录。",
    "media": "只能发图片（JPG、PNG、GIF、WebP），而且不能太大。",
}
REOPENED_NOTICE = "社工{name}又接回了您之前的求助，接下来您发的消息会直接转给社工。"

# ---- the content, read-only, for social workers (/console/library) ----------------------------------
LIB_TITLE = "查资料"
LIB_INTRO = "这里是邻里助手回答问题用的资料，只能看，不能改。回复前可以先核对一下；每条都写了依据和核对日期。"
LIB_BACK = "回到工作台"
LIB_SEARCH = "搜索"
LIB_SEARCH_PLACEHOLDER = "输入关键词，比如 多多买菜、96110、营业执照"
LIB_ALL = "全部"
LIB_RESULTS = "搜索结果（最相关的在前）"
LIB_FOUND = "共 {n} 条"
LIB_NOTHING = "没有找到相关的资料。可以换个说法，或者少写几个字。"
LIB_KINDS = {"policy": "政策", "platform": "买菜和购物平台", "tutorial": "教程（每一步）", "tool": "商户工具",
             "hotline": "求助热线", "marketing": "经营建议"}
LIB_AUDIENCE = {"resident": "给居民", "merchant": "给商户", "social_worker": "给社工", "any": "所有人"}
LIB_STATUS = {"verified": "已核实", "partly_verified": "部分核实", "unverified": "未核实"}
LIB_FOR = "对象"
LIB_CHECKED = "核实情况"
LIB_REVIEWED = "核对日期"
LIB_SOURCES = "依据"
LIB_SOURCE_UNLISTED = "（来源清单里没有这一条）"
LIB_SOURCE_SHEET_ONLY = "项目的事实核对表（没有列出具体文件）"
LIB_RELATED = "相关"
LIB_REGIONS = "服务地区"
LIB_REGIONS_NATIONAL = "全国"
LIB_REGIONS_SERVED = "在做：{places}"
LIB_REGIONS_LEFT = "已退出：{places}"
LIB_REGIONS_AS_OF = "截至{when}"
LIB_HAS_TUTORIAL = "有教程"
LIB_INTRO_LABEL = "开场"
LIB_STEPS = "步骤"
LIB_OUTRO = "结尾"
LIB_STEP = "第{n}步：{text}"
LIB_SIMPLER = "（更简单的说法：{text}）"
LIB_OPEN = "打开网页"
LIB_YES = "是"
LIB_NO = "否"
