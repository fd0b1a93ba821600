"""Every Chinese sentence the dialogue says, as named constants (skills import them as ``T``).

``bot/messages.py`` keeps only what channels and operators say (errors, commands, staff
notices, queue and ticket lines) and re-exports these for the code and tests that read
them as ``messages.X``. No imports here, so ``from dialogues.texts import *`` brings the
sentences and nothing else.
"""

# What the person sent could not be read
NON_TEXT_MESSAGE = (
    "我现在只能看懂文字，看不懂图片、语音、表情和文件。\n"
    "请您用文字把问题打出来，我来帮您；打字不方便，可以输入“找社工”。"
)
NOT_UNDERSTOOD = "不好意思，我没听明白。可以换个说法，或者输入“找社工”。"

# General answers: menu, small talk, hotlines, platforms, misunderstandings
MENU_TEXT = "您想做什么？点下面的按钮，或者直接打字问我。"
HOTLINE_LINE = "{number}：{use}"
PLATFORM_SERVICE = (
    "平台的客服，请在APP里面找：打开APP，点“我的”，找“客服”或“帮助”。\n"
    "不要打网上搜到的“客服电话”，很多是骗子冒充的；真客服不会让您转账，也不会要验证码。"
)
SEARCHED_NUMBER = (
    "网上搜到的“客服电话”，很多是骗子冒充的，先别打，也别照着它说的转账、报验证码。"
    "找平台的客服，请在APP里面找：打开APP，点“我的”，找“客服”或“帮助”。"
)
SERVICE_IN_APP = (
    "在APP里找客服，一般这样（按钮的名字和位置以APP为准）：\n"
    "1. 打开这个APP，点屏幕下面的“我的”。\n"
    "2. 往下翻，找“客服”“帮助”或“客服中心”这类按钮，点进去。\n"
    "3. 在里面把问题写清楚，有订单的先选那一单。\n"
    "找不到的话，可以按“找社工”，请社工帮您看。"
)
HOTLINE_UNKNOWN = "这个电话我这里没有核实过的号码，不敢乱说。不知道该找哪个部门，可以打 12345 问；也可以让社工帮您查。"
REGION_LEFT = "据我们的资料，{names}已经撤出{region}了，就不推荐了。"
REGION_SERVED = "据{as_of}的资料，{name}在{region}有服务；能不能送到您家，填上地址一看就知道。"
REGION_GONE = "据{as_of}的资料，{name}已经撤出{region}了，您那儿可能用不了，可以换一个。"
REGION_NATIONAL = "据{as_of}的资料，{name}在全国很多地方都有；您那儿能不能用，填上地址看看。"
REGION_UNKNOWN = "{name}在{region}有没有服务，我们的资料里没有写。打开APP填上地址就知道了，或者问问APP里的客服。"
REGION_APPS = "据我们的资料，{names}在{region}有服务，可以先看看；能不能送到您家，填上地址一看就知道。"
PLATFORM_FEES = (
    "在{platform}开店要交的保证金、服务费，平台按卖的东西（类目）来定，而且会调整，我这里不敢乱说数字。\n"
    "请在{platform}商家后台的入驻说明里看，以官方最新说明为准；拿不准，可以找社工和您一起看。"
)
FALSE_ALARM_OK = "好的，没事就好，是我理解错了。社工还是会看到这条消息，但不会当成紧急情况。您想问什么，接着说就行。"
POLICY_NOT_COVERED = "专门给这方面的政策，我这里还没有核实过的资料，不敢乱说。社工可以帮您问清楚；下面是我有的几条，看看有没有用："
RESUMED = "好的，我们接着学「{title}」，从刚才停下的地方开始。"
FLOW_PAUSED = "刚才的「{title}」先放一放，学完这个，可以接着学。"
NO_SUCH_BUTTON = "这个数字我没对上号。有按钮时，输入按钮前面的数字就行；也可以直接打字告诉我您想做什么。"
MENU_BUTTONS = ("学用手机买菜", "小店生意经", "政策问答", "免费工具", "找社工")
WELCOME = "您好，我是邻里助手。我可以教您用手机买菜，给小店出主意，讲政策，推荐免费工具，也能帮您找社工。"
IDENTITY = "我是邻里助手，一个电脑程序，不是真人。我背后有社区社工，需要时我可以帮您找他们。"
CAPABILITIES = (
    "我能帮您：\n"
    "1. 一步一步教您用手机买菜、付钱、取货、退款\n"
    "2. 给小店出推广主意\n"
    "3. 用大白话讲政策\n"
    "4. 推荐免费好用的工具\n"
    "5. 帮您找社工"
)
THANKS_REPLY = "不客气！还有什么想问的，随时跟我说。"
BYE_REPLY = "好的，再见！有事随时来找我。"
OK_REPLY = "好的。"
DENY_REPLY = "好的，有需要随时叫我。"
OUT_OF_SCOPE = "这个我还不太懂，抱歉。我主要帮大家学用手机买东西、帮小店做生意、讲政策和推荐工具。"
DID_YOU_MEAN = "不好意思，我没太明白。您是不是想问："
OFFER_HUMAN = "我好像没帮上忙。我可以把刚才的对话发给社工，让他们来帮您吗？"
OFFER_HUMAN_BUTTONS = ("可以", "不用了")

# Tutorials
STEP_BUTTONS_RESIDENT = ("下一步", "再说一遍", "没看懂", "找社工")
STEP_BUTTONS_MERCHANT = ("下一步", "上一步", "菜单", "找社工")
STEP_PREFIX = "第{n}步（共{total}步）：{text}"
FIRST_STEP_ALREADY = "这已经是第一步了。"
NO_SIMPLER = "这一步确实不容易。您可以再看一遍，或者我请社工来帮您。"
NO_SIMPLER_BUTTONS = ("再说一遍", "找社工")
TUTORIAL_DONE_BUTTONS = ("再学一遍", "菜单", "找社工")
TUTORIAL_EXITED = "好的，先不学了。想学别的，随时问我。"
RESUME_OFFER = "要继续刚才的「{title}」第{n}步吗？"
RESUME_BUTTONS = ("继续", "不用了")
NOTHING_TO_RESUME = "好的。"
ASK_PLATFORM = "好的，我一步一步教您。您用的是哪个软件？点一下，或者打字告诉我。"
PLATFORM_OTHER = "其他/不知道"
NO_TUTORIAL = "这个我还没有现成的教程。您可以说得具体一点，或者我请社工来帮您。"
WHICH_ONE = "您问的是哪一个？可以说说名字。"
HOWTO_WHAT = "您想学怎么用哪个？可以说说名字，或者点下面的按钮。"

# Marketing / policy / tools
MORE_TIPS = "更多办法"
ALL_TIPS = "看看全部办法"  # after the answer to one question of a marketing topic: its tips
SAME_ON_PLATFORM = "这些办法在{platform}上一样适用。"
NO_MORE_TIPS = "主要的办法就是这些了。想一起商量，可以找社工。"
MUTUAL_AID = "🤝 互助：{text}"
SOCIAL_WORKER_HELP = "👩 社工可以帮您：{text}"
POLICY_HOW = "怎么办：{text}"
POLICY_CAVEAT = "提醒：{text}"
POLICY_NOTE_BUTTON = "要注意什么"
DOC_MISSING = "“{doc}”这份文件，我们的资料里没有，我不敢乱讲。可以打 12345 政务服务便民热线问问，或者点“找社工”请社工帮您查。"
# Said before a policy that serves a kind of ask (asks.yml; an entry's `serves`): what the content lacks.
POLICY_SERVES_LEAD = {"relief": "房租、成本这些，当地有没有专门的补贴，我这里没有核实过的资料，可以拨打12345问当地。"
                                "国家对小店、个体户的支持，我这里有这些："}
POLICY_ELIGIBILITY = "想知道自己符不符合条件，可以按“找社工”，社工帮您一起问。"
POLICY_NO_MORE = "这方面我这里核实过的政策，就是这几条了。想问本地还有没有别的，可以打 12345，或者找社工帮您问。"
SOURCE_LINE = "来源：{source}（核对：{reviewed}）"
POLICY_BUTTONS = ("还有别的政策吗", "找社工", "菜单")
POLICY_TOPICS = (
    ("补贴扶持", "policy_subsidy"),
    ("贷款", "policy_loan"),
    ("交税", "policy_tax"),
    ("营业执照", "policy_business_license"),
    ("消费者权益", "policy_consumer_rights"),
    ("老年人权益", "policy_elderly_services"),
    ("快递", "policy_express_delivery"),
)
POLICY_MENU = "想了解哪方面的政策？"
TOOL_INTRO = "{need}，可以试试这几个："
TOOL_LINE = "{n}. {name}：{reason}（上手难度：{difficulty}）"
TOOL_FOLLOWUP = "想知道怎么用，就说“怎么用”；问收不收费，就说“收费吗”。"
TOOL_BUTTONS = ("怎么用", "收费吗", "菜单")
TOOL_NEED_ASK = "您想用工具做什么？"
TOOL_NEEDS = (
    ("做海报", "design"),
    ("剪视频", "video"),
    ("直播", "live"),
    ("看店铺数据", "data"),
    ("管客户", "crm"),
    ("做表格问卷", "forms"),
    ("开小店", "minishop"),
    ("写文案", "copywriting"),
)
TOOL_NEED_LABELS = {
    "design": "做海报和图片", "video": "剪视频", "live": "做直播", "data": "看店铺数据",
    "crm": "管理老顾客", "forms": "做表格、问卷和接龙", "minishop": "开线上小店", "copywriting": "写文案",
}
TOOL_COST = "{name}：{free}"
TOOL_HOWTO = "{name}怎么开始用："
PLATFORM_NOTES = "{name}：{summary}"
ALTERNATIVES = "可以改用：{names}"

# Persona
PERSONA_ASK = "方便说一下吗：您是开店做生意的，还是想学用手机买东西？这样我回答得更合适。"
PERSONA_BUTTONS = (("我开店", "merchant"), ("我买东西", "resident"), ("我是社工", "social_worker"))
PERSONA_SET = "好的，记住啦。"
SELF_MERCHANT = "好的，您是做生意的，记住啦。我可以帮您网上开店、少花钱做推广、留住回头客，也能讲政策、推荐免费工具。您想先问哪个？"
SELF_MERCHANT_BUTTONS = ("网上开店", "少花钱做推广", "留住回头客", "政策问答", "免费工具")
SELF_RESIDENT = "好的，记住啦。我可以一步一步教您用手机买菜、打开大字的长辈模式、防骗，也能讲讲给老年人的政策。您想先学哪个？"
SELF_SOCIAL_WORKER = "好的，您是社工，记住啦。您可以先替居民、商户试一试：买菜教程、防骗、政策和免费工具都在下面。转给社工的对话，在社工群或 `linli handoff` 里处理。"
SELF_OTHER = "好的，谢谢您告诉我。您想问什么？点下面的按钮，或者直接打字问我。"
SELF_RESIDENT_BUTTONS = ("学用手机买菜", "长辈模式", "防骗", "政策问答", "找社工")

# Help from a person (handoff)
CONSENT_ASK = "我可以把刚才的对话发给社工，让他们来帮您吗？"
CONSENT_BUTTONS = ("可以", "不用了")
CONSENT_HOW = "要我把刚才的对话发给社工，请按“可以”，或者打“可以”两个字；不用的话，就按“不用了”。"
CONSENT_NOT_SHARED = "好的，先不找社工，刚才的对话没有发给社工。"
HELP_DECLINED = "好的，那我们接着聊。您可以换个说法再问我。"
COMPLAINT_REPLY = "对不起，没帮上您的忙。我可以把刚才的对话发给社工，让他们来帮您吗？"
IDENTITY_SHORT = "我是邻里助手，是一个电脑程序，不是真人。"
# While a ticket waits in the queue (the engine tells the state where it is).
WAIT_PLACE = "您的求助（编号 {ticket}）还在排队。{place}"
WAIT_AHEAD = "您前面还有 {ahead} 位，社工按先后一个一个接。"
WAIT_FIRST = "您是下一位，社工一有空就先接您。"
WAIT_URGENT = "您的是紧急求助，社工会先接。"
WAIT_CLOSED = "现在社工下班了，{when}上班后会尽快回复您。"
WAIT_MEANWHILE = "等的时候，您可以接着问我别的；社工来了，我会告诉您。"
WAIT_ALREADY = "您已经在等社工了，不用再找一次。"
WAIT_URGENT_LINE = "如果情况变急了：有危险打 110，急病打 120。"
WAIT_HOURS = "社工{days} {start}到{end}上班，上班时间里会在这里回复您。"
WAIT_HOURS_UNKNOWN = "社工上班的时候会在这里回复您；具体几点上班，我这里没有准确的时间。"
WAIT_STAY = "您不用一直守着，社工的回复会发到这里，您回来就能看到。"
WAIT_KEPT = "您去忙吧，不用守着。您的位置给您留着，不会因为走开就没了；社工的回复会发到这里，回来就能看到。"
CONSENT_FAQ = (
    "社工是社区里专门帮大家解决难处的工作人员，可以陪您学手机、一起问政策、帮您想办法。"
    "要不要花钱，我这里没有准确的说法，社工来了您可以当面问清楚。"
    "您同意了，我才会把刚才的对话发给社工；手机号、银行卡号这些都会打码。"
)
CONSENT_STILL = "要我帮您找社工吗？"
WAIT_NOTED = "好的，您的求助（编号 {ticket}）已经交给社工了，请耐心等一等。"
WEEKDAY_NAMES = ("", "周一", "周二", "周三", "周四", "周五", "周六", "周日")

# A registered social worker in chat: the ticket queue (the same functions as `linli handoff`
# and the staff group's /queue, /close, /takeover).
DESK_HELLO = "您好，{name}。您是登记过的社工，可以直接问我：现在几个人在排队、有没有紧急的、接下一个、看几号单的摘要、怎么结单。"
DESK_NOT_REGISTERED = (
    "您好！我这里还没有把您登记为社工，所以看不了排队，也接不了单。"
    "请负责这个系统的同事把您登记上（要用到您的用户编号），登记好了再来问我就行。"
)
DESK_REGISTERED = "您已经登记过了，是社工{name}。排队、接单、看摘要、结单，直接问我就行。"
DESK_NOT_REGISTERED_NOTE = "要在这里接单、看排队，需要先请负责这个系统的同事把您登记为社工。"
DESK_NO_DESK = "现在连不上排队系统，请稍后再问，或者到社工后台（网页）里看。"
DESK_QUEUE_EMPTY = "现在没有人在排队等社工，没有待处理的单子。"
DESK_QUEUE_HEAD = "现在有 {waiting} 个单子在排队等社工接（其中紧急的 {urgent} 个），{claimed} 个已经有人接了："
DESK_QUEUE_LINE = "#{id} {mark} {status}{who}：{asked}"
DESK_QUEUE_TAIL = "说“接下一个”，我就帮您接排在最前面的（紧急的先接）。"
DESK_URGENT_NONE = "现在没有紧急的单子在等。"
DESK_URGENT_HEAD = "有 {n} 个紧急单子还没人接，请先接这些："
DESK_MINE_NONE = "您手上现在没有没结的单子。"
DESK_MINE_HEAD = "您手上有 {n} 个还没结的单子："
DESK_CLAIM_NONE = "现在没有人在排队，没有可以接的单子。"
DESK_CLAIMED = "好的，{ticket}号单（{kind}）归您了，对方已经收到“社工来了”的通知。"
DESK_CLAIM_FAILED = "这个单子刚被别人接了，或者已经结束了。您再说一次“接下一个”试试。"
DESK_SUMMARY = "{ticket}号单（{kind}，{status}{who}）的摘要："
DESK_SUMMARY_SINCE = "排队时对方又说了："
DESK_SUMMARY_NONE = "没有找到 {ticket}号单，请看一下单号对不对。说“现在谁在排队”可以看到所有单号。"
DESK_SUMMARY_NONE_WAITING = "您手上没有单子，现在也没有人在排队，没有可以看的摘要。要看别的单子，告诉我单号就行，比如“看3号单的摘要”。"
DESK_SUMMARY_TAKE = "要接这个单子，就说“接这个”。"
DESK_HANDBACK_HOW = (
    "接了的单子不归您管，可以跟我说“退回队列”：单子回到排队里，所有社工都能看到、都能接，对方会收到“换一位社工”的通知。"
    "也可以请同事直接接手（Telegram 里发 /takeover，或者在社工后台点“改由我负责”）。"
)
DESK_HANDBACK_YOURS = "您手上的单子：{tickets}。要退回哪一个，说单号就行，比如“退回3号单”。"
DESK_WHICH_OF_MINE = "您手上有几个单子：{tickets}。是哪一个？说单号就行，比如“3号单”。"
DESK_MINE_NONE_TO = "您手上现在没有单子可以{what}。说“接下一个”可以接排在最前面的单子。"
DESK_FINISH_FAILED = "{ticket}号单现在不在您手上，可能已经结束了，或者换了别的社工。说“我手上的单”可以看看。"
DESK_CLOSED = "好的，{ticket}号单已经结束了，对方会收到通知，之后由我（邻里助手）陪着。要补备注，可以在社工后台（网页）里写。"
DESK_HANDED_BACK = "好的，{ticket}号单已经退回排队了，别的社工都能看到、能接；对方会收到“换一位社工”的通知。"
DESK_CLOSE_HOW = (
    "结单有几种办法，结束后对方会收到通知，回到机器人：\n"
    "・在这里直接跟我说“结了吧”，我就结掉您手上的单子；\n"
    "・Telegram 社工群：在这个单子的话题里发 /close 加备注，比如“/close 已教会下单”；\n"
    "・社工后台（网页）：打开单子，点“结束”，选结果，再写备注；\n"
    "・电脑终端：linli handoff close 单号 --worker 您的编号 \"备注\"。\n"
    "备注写清楚办了什么、还要不要跟进，不要写对方的电话、身份证号这些。"
)
DESK_CLOSE_YOURS = "您手上的单子：{tickets}。"
DESK_REPLY_HOW = (
    "回复居民：在 Telegram 社工群这个单子的话题里直接回复；或者在社工后台（网页）打开单子点“回复”；"
    "电脑终端用 linli handoff reply 单号 --worker 您的编号 \"要说的话\"。只有接了这个单的社工能回复。"
)
DESK_TAKEOVER_HOW = (
    "别的社工接的单子，只有接手以后才能回复：在 Telegram 这个单子的话题里发 /takeover，"
    "或者在社工后台（网页）点“改由我负责”。接手后，系统会告诉对方现在换人了，由谁继续服务。\n"
    "要把您手上的单子交给同事，请同事用同样的办法接手就行；要出门的话，先在备注里写清楚进展。"
)
DESK_DOWNGRADE_HOW = (
    "现在社工不能自己把紧急单改成普通的。只有居民本人在报警后马上说“不是紧急的”“说错了”，系统才会改成普通。"
    "误报的单子照常接单、问清楚就行，结单时在备注里写明是误报。"
)
DESK_REPORT = (
    "最近30天一共有 {tickets} 次找社工，其中紧急的 {urgent} 次。"
    "更全的统计，比如大家问得最多的问题、教程学到哪一步、回答的评价，在月度报告里："
    "请管电脑的同事运行 linli report 生成（报告里没有名字和号码）。"
)
DESK_REFERRAL = "给居民或家属，可以这样告诉他们（如果事情就在眼前发生，请您直接帮忙打电话）："

# Urgent: facts.md §2 and §2.1 (110, 120, 96110, 12356 verified). Said first, before anything else.
URGENT_SCAM = (
    "⚠️ 请马上停止转账！任何人要您的验证码、密码，都不要给，也不要开“屏幕共享”。\n"
    "已经转了钱，请立刻打 110 报警。拿不准是不是骗子，可以打 96110 反诈专线问一问。"
)
URGENT_MEDICAL = (
    "⚠️ 请马上打 120 叫救护车！说清楚详细地址、病人年龄、哪里不舒服、什么时候开始的。\n"
    "摔倒了先别急着扶起来，守在旁边等医生。"
)
URGENT_SELF_HARM = (
    "听到您这么说，我很担心您。您不是一个人。\n"
    "如果现在有危险，请马上打 110 或 120。想找人说说心里话，可以打 12356 心理援助热线。"
)
URGENT_ABUSE = (
    "⚠️ 您的安全最重要。如果正在被打、被关起来或有危险，请马上打 110 报警。\n"
    "妇女权益受侵害，也可以打 12338 妇联热线咨询。"
)
URGENT_MISSING = (
    "⚠️ 请马上打 110 报警，老人走失属于 110 受理的求助。\n"
    "准备好老人的照片、穿着、最后出现的地点和时间。"
)
URGENT_DANGER = (
    "⚠️ 请先离开危险的地方，到安全的地方马上打电话：着火了打 119；有人闯进来、抢东西或者要伤人，打 110。\n"
    "说清楚详细地址和发生了什么。"
)

# Privacy (PIPL)
PRIVACY_VIEW = (
    "我会保存：您发给我的文字（手机号、身份证号、银行卡号和验证码会打码）、我的回复、学习进度和您选的选项。\n"
    "用途：接着上次的话题帮您，需要时（经您同意）交给社工跟进。"
    "社工还会看不带名字和号码的汇总数字（比如多少人问过补贴），用来改进回答、向有关部门反映大家的需要。\n"
    "保存多久：最长半年，过期自动删除。\n"
    "您可以随时说“删除我的信息”，我就把这些全部删掉（您对回答的评价和学习进度只留下不带名字的次数）；"
    "想要一份副本，可以找社工。"
)
PRIVACY_CONFIRM = "确定要删除我保存的您的全部聊天记录和设置吗？删除后不能恢复。"
PRIVACY_CONFIRM_BUTTONS = ("确定删除", "不删了")
PRIVACY_DELETED = "已经删除了您的聊天记录和设置。以后有需要，随时再来找我。"
PRIVACY_KEPT = "好的，没有删除。"
# Said when a deletion question is dropped because the person went on to something else.
PRIVACY_NOT_DONE = "好的，您的信息没有删除，都还在。"
# The second confirmation (a deletion read with low confidence): exactly what Store.delete_user removes.
PRIVACY_CONFIRM_AGAIN = (
    "为了不删错，再跟您确认一次。删除以后：\n"
    "・您和我的全部聊天记录，还有您和社工的对话，都没有了；\n"
    "・您学教程学到哪一步、正在问的事情，都清空；\n"
    "・您的个人资料（比如您是居民还是商户）也删掉。\n"
    "您找社工的求助单、对回答的评价和学教程的次数，只留下看不出是您的统计数字。删除后不能恢复。\n"
    "真的要删除吗？"
)
PRIVACY_CONFIRM_HOW = "为了不删错，请您说清楚：要删除，请按“确定删除”，或者打“确定”两个字；不删，就按“不删了”。"
PRIVACY_DELETE_FAQ = (
    "删除以后，您还能接着用我，也能找社工，就像第一次来一样；只是以前的聊天记录、学习进度和个人资料都没有了，不能恢复。"
    "您找社工的求助单和对回答的评价，只留下看不出是您的统计数字。"
    "您在手机上别的APP里存的东西（比如买菜APP里的收货地址），不在我这里，不会被删。"
)
PRIVACY_CONFIRM_STILL = "您还要删除吗？"
PRIVACY_OTHERS = (
    "抱歉，别人的聊天记录和信息，我不能给您看，也不能替别人删除。每个人的信息，只有本人来找我，才能查看或者删除。\n"
    "如果是家里人需要帮忙，可以请他本人来跟我说，或者找社工一起办。想知道我存了您自己的什么，请按“查看我的信息”。"
)
PRIVACY_OTHERS_BUTTONS = ("查看我的信息", "找社工", "菜单")
PRIVACY_OTHERS_FAMILY = (
    "我明白您是想帮家里人。可就算是家里人，别人的聊天记录我也不能给您看、不能替他删，只有本人来跟我说才行。"
    "可以请他本人来，或者找社工一起办。"
)
PRIVACY_COPY = (
    "想要一份您自己的聊天记录，请找社工帮您导出一份副本；社工会先确认是您本人。"
    "您也可以随时说“查看我的信息”，看看我保存了什么。"
)
PRIVACY_NO_NUMBERS = (
    "这类号码我不帮您记：手机号、身份证号、银行卡号和验证码，我保存时都会打码，看不到全号。"
    "号码请记在您自己的本子上或手机通讯录里；银行卡号、密码和验证码，谁问都不要给。"
)
PRIVACY_SHARING = (
    "只有您说“可以”，我才会把刚才的对话发给社工；您不同意，就不发。发过去的手机号、银行卡号这些都是打码的。"
    "只有一种情况例外：您说到有危险、急病这样的紧急情况时，为了您的安全，我会马上请社工联系您。"
)
PRIVACY_GONE = "我这里现在没有保存您以前的聊天记录和设置：刚才确认删除的，已经删干净了。以后有需要，随时再来。"
PRIVACY_STILL_HERE = "您的信息还在，没有删除。要删除，请说“删除我的信息”。"
# A merchant asks about a customer's data (《个人信息保护法》, facts: the law's articles 15, 47).
CUSTOMER_DELETE = (
    "按《个人信息保护法》，顾客有权要求您删除他的个人信息。顾客撤回同意、您已经用不着这些信息、或者不再给他服务了，"
    "您就应当删除；您没删的，顾客可以要求您删（第47条）。\n"
    "所以顾客要您删他的电话，一般要删，删完跟他说一声。拿不准的，可以问当地市场监管部门，或者打 12345。"
)
CUSTOMER_CONSENT = (
    "顾客当初同意过也一样：同意是可以撤回的，您要给顾客方便撤回的办法（第15条）。"
    "他撤回同意、要求删除以后，就应当删除他的信息（第47条），登记表上他的那一条也算在里面。"
)
CUSTOMER_PURPOSE = (
    "存电话给他送货，这个用途本身没问题，但要跟顾客说清楚、得到他同意（第13、14条）。"
    "同意可以撤回：他现在说不让您存了，撤回了同意，您就应当删除（第15、47条）。以后要给他送货，请他再留一次电话就行。"
    "还有没送完的单子怎么办，拿不准的可以问当地市场监管部门，或者打 12345。"
)
CUSTOMER_COPIES = (
    "他的个人信息，不管存在哪儿（登记表、手机通讯录、聊天记录、截图），都在要删除的范围里；"
    "您留着用不着的，都删掉最稳妥。具体到某一条要不要删，可以问当地市场监管部门或打 12345。"
)
CUSTOMER_CAVEAT = "这只是法律条文的要点，不是法律意见，以官方最新公布的原文为准。"

# Words older users meet while shopping on the phone, explained in plain words (our own wording).
GLOSSARY = {
    "验证码": "验证码就是手机短信里收到的几位数字，用来证明是您本人。只填在您自己正在用的APP里，谁问都不能告诉。",
    "自提点": "自提点就是家附近帮大家收货的小店或团长家。您在手机上下单，第二天去那里把东西取回家。",
    "取货码": "取货码就是订单上给的一串数字或一个码，证明这一单是您的。到了自提点，把订单页上的取货码给团长或店员看一下，或者报给他们，对上了就能取（怎么取以APP和团长的提示为准）。这个码只在取货时给店里看，别发给陌生人。",
    "团长": "团长就是负责自提点的人，一般是附近小店的店主。货到了他会通知大家来取。",
    "购物车": "购物车就像超市里的推车：看中的东西先放进去，最后一起付钱。",
    "售后": "售后就是买完东西出了问题（坏了、少了、发错了），请平台退款或补发。",
    "小程序": "小程序是长在微信里的小APP，不用另外下载，在微信里搜名字就能打开。",
    "二维码": "二维码是一个黑白方块图，用手机“扫一扫”对准它，就能打开付款或网页。",
    "免密支付": "免密支付就是付钱时不用输密码，自动扣钱。用不着的话最好关掉，更安全。",
    "先用后付": "先用后付就是先收货、过几天自动扣钱。容易忘了扣款，不需要的话可以关掉。",
    "长辈模式": "长辈模式就是把APP的字和按钮变大、页面变简单，也叫关怀模式、大字版。",
    "安全账户": "所谓“安全账户”都是骗子的说法。公安、银行从来不会让您把钱转到什么安全账户。",
    "屏幕共享": "屏幕共享就是让别人看到您手机上的一切，包括密码和验证码。陌生人让您开，一定是骗子。",
    # facts.md §4 店铺数据分析 / §5 微信小店: 电商罗盘的数据为T+1（次日更新，不含当天实时）[105]
    "T+1": "T+1就是“第二天”：T指当天，+1是再过一天。说店铺数据是T+1，就是第二天才更新，今天看到的是昨天和以前的数据，当天的实时数据要等到第二天。",
}
GLOSSARY_BACK = "我们接着看刚才这一步："

# ---- answer ratings (reports for social workers) ------------------------------------------
FEEDBACK_ASK = "这个回答有帮助吗？"
FEEDBACK_YES = "👍 有帮助"
FEEDBACK_NO = "👎 没帮助"
FEEDBACK_THANKS = "谢谢您！还有别的想问的，随时跟我说。"
FEEDBACK_SORRY = "谢谢您告诉我们，我们会把这个回答改好。要不要请社工帮您看看？"
FEEDBACK_ALREADY = "谢谢，您的评价已经收到了。"

# Buttons and short lines that many answers share
HUMAN = "找社工"
MENU = "菜单"
NONE_OF_THESE = "都不是"
REPEAT = "再说一遍"
LEARN_AGAIN = "再学一遍"
OPEN_SHOP_BUTTON = "网上开店入门"
HOWTO = "怎么用"
COST = "收费吗"
TOOL_HOWTO_BUTTON = "{name}怎么用"
TEACH_ME = "教我用{name}"
TOOL_FREE = "收费：{free}"
TOOL_SUMMARY = "{name}：{reason}"
APPS_OPERATING = "现在还能用的买菜软件有（以您所在城市能不能下单为准）："
APPS_BY_DELIVERY = {"home": "送到家的：{names}", "pickup": "今天下单、明天去自提点取的：{names}"}
APPS_CHOOSE = "怎么挑：腿脚不方便、想省事，就选送到家的；家附近有自提点、不急着用，可以选去自提点取的。"
APPS_ADDRESS = "选好了，打开APP填上您家地址，能不能送到、附近有没有自提点，一看就知道。"
BUDGET = "预算{budget}元"
ANY_PLATFORM = "平台"  # "在平台开店要交的保证金……" when no platform was named

# Reminders (dialogues/skills/reminder.py; stored and sent by bot/reminders.py)
REMINDER_ASK_TIME = "好的。您想让我什么时候提醒您？\n比如：“明天早上8点”“周六下午”“每周三”。"
REMINDER_PAST = "“{words}”已经过了。您想定在什么时候？比如“明天早上8点”。"
REMINDER_NOT_SET = "好的，这次先不定提醒了。"
REMINDER_SET = "好的，记下了。{when} 提醒您：{task}。\n想看定好的提醒，跟我说“我的提醒”；不要了就说“取消提醒”。"
REMINDER_NO_TASK = "您定的事"
REMINDER_TOO_MANY = "您已经有{limit}个提醒了，先取消一些不用的，再定新的吧。说“我的提醒”可以看到全部。"
REMINDER_NONE = "您现在没有定好的提醒。想定的话，跟我说“明天早上8点提醒我去取菜”这样就行。"
REMINDER_LIST = "您定好的提醒：\n{lines}"
REMINDER_CANCEL_BUTTON = "取消提醒"
REMINDER_CANCEL_ONE = "要取消这个提醒吗？\n{label}"
REMINDER_CANCEL_YES_NO = ("确定取消", "留着")
REMINDER_CANCEL_WHICH = "要取消哪一个？点它的按钮（或输入前面的数字）就会取消：\n{lines}"
REMINDER_CANCEL_HOW = "要取消的话，请点“确定取消”；想留着就点“留着”。"
REMINDER_CANCEL_NUMBER = "取消第{n}个"
REMINDER_CANCELLED = "好的，这个提醒取消了：{label}"
REMINDER_GONE = "这个提醒已经不在了（可能已经提醒过，或者取消过了）。"
REMINDER_KEPT = "好的，提醒留着，到时间我会提醒您。"

# ---- urgent episodes and the safety check (issue 13, items 4-5) ----------------------------
# The guidance inside an episode is content: dialogues/episodes.yml. Loneliness and worry: dialogues/wellbeing.yml.
SAFETY_CHECK = "想问您一句：您现在安全吗？\n{line}"
SAFETY_YES = "我很安全"
SAFETY_NO = "不安全，要帮忙"
SAFETY_OK = "好的，那就好。有什么事随时跟我说；真遇到危险，先打电话求助：有危险打 110，急病打 120。"

# Words explained to residents the first time an answer uses them (dialogues/plain_words.py).
# Longer words first, so 微信小程序 is not explained as 小程序 twice.
JARGON = {
    "小程序": "微信里的小软件，不用另外下载",
    "APP": "手机上的软件",
    "结算": "算好总价、准备付钱",
    "自提点": "家附近帮大家收货的小店",
    "购物车": "先放想买的东西，最后一起付钱",
    "验证码": "短信里收到的几位数字",
    "二维码": "用手机扫一扫的黑白方块图",
    "售后": "买完东西出了问题找平台处理",
}
