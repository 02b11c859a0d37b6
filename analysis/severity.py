"""Severity cues: what in a post makes an incident grave (casualties, vulnerable people, unrest, officials).

Grading (domain.md §5) weighs casualties, vulnerable groups, mass incidents and official involvement;
these rules find them in Chinese text. Counts are parsed from Arabic and Chinese numerals ("3人死亡",
"造成十二人受伤", "一死两伤", "死亡人数升至12人"). A vague count is read as its lower bound
("多人受伤" → 2, "十余人" → 10, "数十人" → 20). Explicit denials ("无人员伤亡") cancel the casualty cue; what a text
only supposes, warns of or tells as a habit (一旦…, 以免…, 存在火灾隐患, 经常…) raises no incident cue, and an
incident it dates long before the post (``extract_cues(text, posted=…)``: 17年10月…身亡) is no current casualty.
People taken to hospital (送医, 住院) are counted apart from the injured (``admitted:20``), and only in the report of an
incident, never in a patient's letter: 20余名儿童送医 after a food poisoning says no one was hurt.

Cues travel on ``Post.severity_cues`` as short strings (``deaths:3``, ``injured:12``, ``children``) so they
are aggregatable keywords in Elasticsearch; ``SeverityCues.from_list`` reads them back.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise

from ahocorasick_rs import AhoCorasick

# Flags: cue name → the words that raise it. Order matters only for display.
FLAG_WORDS: dict[str, tuple[str, ...]] = {
    "casualties": ("伤亡", "死伤", "罹难者", "遇难者", "死者", "伤者"),
    "missing": ("失踪", "失联", "下落不明"),
    "trapped": ("被困", "被埋", "受困", "困在"),  # 受害人一直困在里面 (not 困在家里: see _NOT_AN_INCIDENT)
    "children": (
        "儿童",
        "孩子",
        "小孩",
        "幼儿",
        "婴儿",
        "婴幼儿",
        "未成年",
        "幼童",
        "女童",
        "男童",
        "宝宝",
        "小学生",
        "新生儿",
    ),
    "students": ("学生", "师生", "中学生", "大学生", "高中生", "初中生", "考生"),
    "school": ("学校", "幼儿园", "校园", "小学", "中学", "高校", "托儿所", "校车"),
    "hospital": ("医院", "卫生院", "诊所", "急诊"),  # not where the injured were taken: see _TAKEN_TO_HOSPITAL
    "patients": ("患者", "病人", "病患", "住院"),
    "elderly": ("老人", "老年人", "养老院", "敬老院", "高龄", "独居老人", "空巢老人"),
    "food_poisoning": ("食物中毒", "集体中毒", "中毒事件", "疑似中毒", "呕吐腹泻", "上吐下泻"),
    "collapse": ("坍塌", "倒塌", "垮塌", "塌方", "塌陷", "崩塌", "塌了"),  # 那座在修的桥塌了: an eyewitness's words
    "fire": ("火灾", "起火", "着火", "大火", "失火", "火情"),
    "explosion": ("爆炸", "爆燃", "闪爆"),
    # Words only; the patterns that recognise a mass incident are in _MASS_INCIDENT below.
    "mass_incident": ("群体性事件", "聚众闹事", "静坐", "拉横幅", "打砸", "游行示威", "围攻", "集体维权", "肢体冲突"),
    "petition": ("上访", "信访", "集体访", "越级访"),
    "officials": (
        "局长",
        "书记",
        "官员",
        "县长",
        "市长",
        "镇长",
        "区长",
        "乡长",
        "省长",
        "厅长",
        "处长",
        "科长",
        "村支书",
        "村主任",
        "干部",
        "公职人员",
        "公务员",
        "城管",
    ),
}

# Cues that show an incident (not just its setting): an event's first posts carrying one are an early warning.
INCIDENT_CUES = frozenset(
    {
        "deaths",
        "injured",
        "admitted",
        "missing",
        "trapped",
        "casualties",
        "food_poisoning",
        "collapse",
        "fire",
        "explosion",
        "mass_incident",
    }
)
# What makes an event's first posts an early warning: an unnumbered "伤亡" is too often a fear, not a report.
EARLY_WARNING_CUES = INCIDENT_CUES - {"casualties"}
# Who or where is involved (issue 4 §7: children, schools, hospitals, officials named): an early warning when
# the first posts are negative about it (not every post that mentions a school).
SENSITIVE_SETTING_CUES = frozenset({"children", "students", "school", "hospital", "patients", "elderly", "officials"})
VULNERABLE_CUES = ("children", "students", "elderly", "patients", "school", "hospital")
COUNTED = ("deaths", "injured", "admitted", "missing", "trapped")

CUE_LABELS = {
    "deaths": "死亡",
    "injured": "受伤",
    "admitted": "送医/住院",
    "missing": "失踪/失联",
    "trapped": "被困",
    "casualties": "人员伤亡",
    "children": "儿童",
    "students": "学生",
    "school": "学校",
    "hospital": "医院",
    "patients": "患者",
    "elderly": "老人",
    "food_poisoning": "食物中毒",
    "collapse": "坍塌",
    "fire": "火灾",
    "explosion": "爆炸",
    "mass_incident": "群体性事件",
    "petition": "上访",
    "officials": "涉及官员",
}

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "仨": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_VAGUE = {
    "多": 2,
    "数": 2,
    "几": 2,
    "若干": 2,
    "数十": 20,
    "几十": 20,
    "十几": 10,
    "数百": 100,
    "几百": 100,
    "上百": 100,
    "近百": 90,
    "上千": 1000,
    "数千": 1000,
}

_CN = "零〇一壹二两俩贰三叁仨四肆五伍六陆七柒八捌九玖十拾百佰千仟万"
_NUM = (
    rf"(?<![第0-9０-９.{_CN}])(?P<num>[0-9０-９]+(?:\.[0-9]+)?万|[0-9０-９]+|[{_CN}]+|数十|几十|十几|数百|几百|上百|近百|上千|数千|多|数|几|若干)"
    r"(?:余|多)?"
)
# A count of people: 3名, 两人 (not 47万人民币), 一家3口 (not 3口井), and a count of whom: 200余乘客, 20个孩子.
_PERSON = (r"(?:名|人(?!民)|位|个(?!月|多月|半月|小时|多小时|钟头|星期|礼拜|工作日)|例|口(?![井径岸袋锅罐缸气水饭子])|"
           r"乘客|旅客|游客|行人|路人|村民|工人|女工|矿工|民工|务工者|学生|儿童|幼儿|孩子|居民|群众|老人|船员|人员|"
           r"男子|女子|妇女|男孩|女孩)")
_DEATH = ("死亡|遇难|身亡|罹难|丧生|殒命|丧命|遇害|去世|不治|溺亡|坠亡|身故|亡故|猝死|致死|杀害|"
          "撞死|轧死|砸死|压死|烧死|淹死|炸死|摔死|电死|杀死|砍死|捅死|刺死|掐死|勒死|打死")  # not 毒死: 3人中毒死亡
_INJURY = "受重伤|受轻伤|受伤|重伤|轻伤|烧伤|砸伤|烫伤|摔伤|撞伤|炸伤|压伤|负伤|伤势|打伤|砍伤|刺伤|捅伤|咬伤|割伤"
# Taken to hospital (admitted, not said to be injured): counted only where the text tells of an incident
# (20名幼儿被送往医院住院治疗 after a food poisoning); a patient's letter (同病房两位病友全部是入院就查了两三千) counts no
# one, nor a ward or a fee (住院部已协调多个病区, 怎么一个住院法).
_ADMITTED = "住院|入院|送医|送往|送至|送到|送入|转往|转至|抬往"
_NO_ADMISSION_AFTER = re.compile(r"部|法|费|楼|手续|押金|病历|医师|证|记录")
_KINDS = {"deaths": _DEATH, "injured": _INJURY, "admitted": _ADMITTED, "missing": "失踪|失联|下落不明",
          "trapped": "被困|被埋|受困"}
_INCIDENT_TOLD = re.compile(r"事故|车祸|相撞|追尾|侧翻|中毒|上吐下泻|呕吐|腹泻|火灾|起火|爆炸|坍塌|倒塌|垮塌|塌了|"
                            r"袭击|斗殴|打架|行凶|泄漏|溺水|坠楼|触电|踩踏|受伤|伤亡|[打砍刺捅烧砸撞]伤")
# Counts and casualty verbs in order of appearance within one clause (commas end a clause, 、 does not).
_ITEM = re.compile(
    rf"(?P<n>{_NUM})\s*{_PERSON}|" + "|".join(f"(?P<{kind}>{verbs})" for kind, verbs in _KINDS.items())
)
_CLAUSE = re.compile(r"[，。；！？,;!?\n#]|(?<=[\u4e00-\u9fff])\s+(?=[0-9一二两三四五六七八九十百千万上数几近])")
# A space before a count starts a headline's next phrase ("教师酒后死亡 7名劝酒者各赔3100元"); a space before a word
# does not ("两名女医生 伤势较轻").
# Counts of people who are not casualties: an epidemic bulletin's cases ("确诊440例死亡9例" is 9 deaths).
_NOT_CASUALTIES = re.compile(r"(?:确诊|感染|疑似|治愈|出院|隔离|密接|密切接触者?|无症状|阳性)(?:病例|患者)?\s*$")
# Words of an incident flag that here say something else: money 下落不明 (押金至今下落不明), a firm that 玩失踪
# (absconds), a 天 or a 人设 that 塌了 (figures of speech).
_NEVER = re.compile(r"(?!)")
# On the board: 信息大爆炸的时代, 挑起火头 (起火 inside 挑起+火头), 看着火车站 (着火 inside 着+火车站), 我们深受困扰,
# 塌方式违建 (landslide-like, of lawbreaking), a pipe that 坍塌 or a bridge 塌陷严重 (a defect, not a collapse), and a
# 防线 that 垮塌.
_FIRE_IN_ANOTHER_WORD = re.compile(r"[挑激掀燃]起火(?!灾)|火(?:车(?!辆)|锅|腿|箭|候|柴|炉)")
_DEFECT_COLLAPSE = re.compile(r"(?:管道?|化粪池|下水道|井盖|防线|人设)[^，。；！？,;!?\n]{0,3}(?:坍塌|垮塌|塌陷|倒塌)|"
                              r"(?:坍塌|垮塌|塌陷)(?:严重|的?(?:现象|问题|情况))|(?:严重|多处)(?:坍塌|垮塌|塌陷)")
_NOT_AN_INCIDENT = {"下落不明": re.compile(r"(?:[元钱款币]|资金|押金|物资|货物).*下落不明"),
                    "失踪": re.compile(r"[玩搞]失踪"), "塌了": re.compile(r"(?:天|人设|房价|股市)塌了"),
                    "爆炸": re.compile(r"(?:信息|知识|数据|人口|流量)大?爆炸"), "受困": re.compile(r"受困扰"),
                    "塌方": re.compile(r"塌方式"), "困在": re.compile(r"(?<![人者员们])(?<![人者员们][仍还都])(?<![人者员们](?:一直|仍然))困在|困在家"), "起火": _FIRE_IN_ANOTHER_WORD, "着火": _FIRE_IN_ANOTHER_WORD,
                    "大火": _FIRE_IN_ANOTHER_WORD, "失火": _FIRE_IN_ANOTHER_WORD, "坍塌": _DEFECT_COLLAPSE,
                    "垮塌": _DEFECT_COLLAPSE, "塌陷": _DEFECT_COLLAPSE, "倒塌": _DEFECT_COLLAPSE}
# "从150万人中找出撞死老太的司机": the people a count is taken among are no casualties.
_AMONG = re.compile(r"(?:之|当)?中(?![毒暑弹枪刀风招标奖彩度重])")  # not 3人中毒死亡, 5人中度受伤
# The largest count read as people: a 20-digit number in a post is no casualty figure.
MAX_COUNT = 10_000_000
_SOMEONE_DIED = re.compile(rf"(?<![没无])有人(?:不幸|当场)?(?:{_DEATH})")
# Spoken reports: "听说死了两个人", "撞死了3个人", "两个人当场死了". Only with a count of people next to it: 累死了,
# 笑死了 and 热死了 are how people say tired, amused and hot.
_DIED_SPOKEN = (re.compile(rf"(?<![笑累热气烦困饿冷吓痛疼美帅馋渴忙急闷丑蠢懒乐萌酸])死了\s*{_NUM}\s*(?:个|名|位)?人"),
                re.compile(rf"{_NUM}\s*(?:个|名|位)?人(?:都|全|也|当场)?死了"))
# How far a count may stand from its verb: "3名工人当场死亡", "死亡人数升至12人".
_MAX_GAP = 10
# 撞死 … 电死 are done by someone to someone: a count before them counts the doers ("6名青年…砸死14岁女孩", "一个交通
# 工具能撞死人"), unless the sentence turns passive (被, 遭) or puts the victims first (将/把一个瓜农砸死).
_KILLED_BY = re.compile(r"[撞轧砸压烧淹炸摔电杀砍捅刺掐勒打]死|[打砍刺捅]伤")
_VICTIMS_FIRST = re.compile(r"[被给让]|遭(?!拒)")  # 七名歹徒抢劫网吧遭拒刺伤网管: refused, not the victims
_SENTENCED_AFTER = re.compile(r"\s*(?:获刑|被判|被捕|被抓|落网|受审|被刑拘|被批捕)")
# How far the victims' count may stand before the doers' (24名村民被20余名持土枪等凶器男子打伤).
_MAX_VICTIMS_GAP = 30
_DISPOSAL = re.compile(r"[将把]\s*$")
_CAUSED = re.compile(r"(?:致|造成|导致)\s*$")  # 事故造成3人撞死: the count is the dead
_OBJECT_AFTER = re.compile(r"[\u4e00-\u9fff0-9](?<![了的在于后])")  # someone killed: 砸死店主 (not 1人当场撞死。)

# "一死两伤", "3死5伤", "致1死": a compact form used in news headlines.
_COMPACT = re.compile(rf"(?P<d>[0-9{_CN}]+)死(?:(?P<i>[0-9{_CN}]+)(?:余|多)?[重轻]?伤)?")
_COMPACT_CONTEXT = re.compile(r"(?:致|造成|导致|酿|已|至少|共|约)$")
# A death reported without a number ("司机当场身亡", "砸死环卫工人", "一男童溺亡", "女孩遭两辆公交车夹击死亡"): at
# least one. Not 死亡证明, 死亡率 (a death's paperwork and statistics), nor 去世 (a parent who 去世 years ago).
_DIED_UNNUMBERED = re.compile(
    r"身亡|(?<!遭)遇难(?!题)|罹难|丧生|殒命|遇害|溺亡|坠亡|猝死|致(?<!致伤致)(?<!致残致)死(?!率|量|因素|原因)|"
    r"(?<!宣告)死亡(?![0-9０-９]|人口|证|率|赔偿|补偿|抚恤|金|人数|名单|原因|通知|鉴定|报告|时间|日期|登记|保险|线|边缘|谷|游戏|"
    r"笔记|威胁|风险|陷阱|之|案例|病例|事故率|的原因|的恐惧)(?<!奔赴死亡)(?<!走向死亡)(?<!面对死亡)(?<!面临死亡)"
    r"(?<!害怕死亡)(?<!恐惧死亡)|"
    # 撞死 … 电死 are also curses and jokes (出门撞死, 摔死你, 烧死我吧, 能砸死人的是什么): only done to someone
    # ("被砸死", "将其轧死", "砸死环卫工人", "淹死小孩", "撞死一名"), never to you or me, nor to a cat (压死一只猫).
    r"(?:(?<=被)|(?<=将其)|(?<=把人))[撞轧砸压烧淹炸摔电]死|"
    r"(?<![能会])[撞轧砸压烧淹炸摔电]死了?(?=[人男女老小孩儿婴幼学工行路司村居市乘游骑环保民农外快少妇孕师医护警]|"
    r"[多数一两二三四五六七八九十0-9]+[名个位人岁])")
# A death of an animal is no casualty: 被撞死野鸡, 小狗在加州车祸身亡, 丧生了几亿动物.
# Killing and wounding done to someone (杀死情敌母亲, 捅死94岁奶奶, 被村民捅死, 打伤外地司机): the victim follows the
# verb, or the sentence turns passive before it; never a curse or a threat (砍死你, 打死也不, 扬言要杀死他), nor
# what is killed that is no one (杀死病毒, 打死蚊子).
_CRIME = re.compile(r"(?:杀死|砍死|捅死|刺死|掐死|勒死|毒死|杀害|打死|(?P<hurt>打伤|砍伤|刺伤|捅伤)|"
                    r"(?P<passive>[撞轧砸压烧淹炸摔电]死))了?(?![你我也都不病细比害蚊苍蟑时]|老[鼠虎])")
# Killed or hurt by an accident verb, the victim named after it (撞死三轮车夫, 砸死业主, 压死逛街女大学生, 撞伤民警,
# 撞死两大学生): a noun phrase of up to six characters that ends in a word for a person, without 的, 在 or 了 (压死骆驼
# 的最后一根稻草 is a saying); or named before it with nothing after (七岁男孩淹死在喷水观赏池里, 男孩淹死).
_WHO_LAST = "人者夫妻贩童孩婴汉妇警翁娃兵匠孙工生员民师客友户女男姐妹哥弟爸妈父母爷奶婆叔姨嫂伯属邻"
_WHO = rf"(?:[{_WHO_LAST}]|[男女妻儿孩]子|司机|小伙|少年|青年|保安|路人|行人|业主)"
_VICTIM_AFTER = re.compile(rf"(?![在于了的得着过到后时])[^\W\d_的在了得着过到时你我他她它自己其]{{0,5}}?{_WHO}")
_HARMED_WHO = re.compile(r"(?:[撞轧砸压烧淹炸摔电]死|(?P<hurt>[撞砸烧炸压轧烫踢]伤))了?(?=[\u4e00-\u9fff0-9])")
_HARMED_SUBJECT = re.compile(rf"(?<=[{_WHO_LAST}子])[淹摔烧电]死(?=[在于了。，！,!\s（(]|$)")
# The victims' number in the object: 两大学生 (a number before a person, not 三轮车夫), 一家三口, 熟睡夫妻.
_VICTIMS_COUNTED = re.compile(rf"^[^\W\d_]{{0,3}}?(?:一家)?(?P<n>[0-9{_CN}]+)(?=[大小中女男老少幼青]?(?:学生|工人|女工|民工|男子|"
                              r"女子|儿童|孩子?|童|村民|农民|路人|行人|老人|青年|少年|少女|男孩|女孩|妇女|人|口))|"
                              r"^[^\W\d_]{0,4}?(?P<pair>夫妻|夫妇|母子|母女|父子|父女|兄弟|姐妹|兄妹|姐弟|祖孙|婆媳|爷孙)")
# Hurt as a body harmed (被压断腿, 摔成骨折, 致其双手骨折, 锁骨骨折), poisoned to death (烤火中毒死后五天), or hurt
# with the one hurt or the cause named (致更衣女子受伤): at least one, where the text tells it happened. Not 骨折价
# (a bargain), nor 骨折患者 in a list of patients; not a hand that 受伤骨折 in a request for exemption from sport.
_HURT_BODY = re.compile(r"[压砸撞轧打摔踢]断了?[^，。；！？,;!?\n]{0,3}?(?:腿|手|胳膊|脚|肋骨|骨头|脊椎|腰)|"
                        r"(?:致|造成|导致|[被遭打摔撞砸压踢跌跳坠])[^，。；！？,;!?\n]{0,10}?骨折(?!价|患者|病人)|"
                        r"(?:锁骨|肋骨|腿骨|股骨|颈椎|腰椎|胸椎|骨盆|多处|多根|手臂|胳膊|腿部|腰部|双手|双腿|粉碎性)骨折|"
                        rf"(?<=[{_WHO_LAST}子])受伤(?![的害前])|(?:致|造成|导致)[^，。；！？,;!?\n]{{0,8}}?受伤(?![的害前])")
_POISONED_DEAD = re.compile(r"(?<=中毒)(?:而|致)?死(?![亡刑])")
# The words of these (beyond _VERB_ANY's): a text with none has no harm of theirs to look for.
_MORE_HARM = re.compile(r"骨折|[压砸撞轧打摔踢]断|中毒")
# 被人防工程一吨重铁门砸死, 被人堵在屋内烧死, 将对方砸死: the victim comes first.
_PASSIVE_BEFORE = re.compile(r"(?:[被给]|遭(?!拒))[^，。；！？,;!?\n]{0,9}$|[将把][^，。；！？,;!?\n]{1,4}$")
# What could happen or is threatened: 一个交通工具能撞死人, 扬言要杀死他, 来一个打死一个.
_THREAT_BEFORE = re.compile(r"(?:要|想|扬言|威胁|誓|恨不得|差点|险|敢|(?<!无)能|会|来一个|(?<![交贸简])易)[^，。；！？,;!?\n]{0,2}$")  # (无能: weak; 玻璃易碎砸伤人: a hazard)
# Hurt without a number (坠楼受重伤, 打致重伤, 男童被烧伤): at least one injured. Not 烧伤科, a burns ward.
_HURT_UNNUMBERED = re.compile(r"重伤(?!害|病|残)|(?<=被)[烧砸撞炸咬]伤|烧伤(?![科膏病中医])|"
                              r"(?<=[被遭])[^，。；！？,;!?\n]{1,8}?咬伤")  # 被狗咬伤, 被宠物眼镜蛇咬伤
_ANIMAL = re.compile(r"(?:狗|猫|鸡|鸭|鹅|猪|牛|羊|鱼|鸟|犬|兔|蜂|动物|宠物|家禽|牲畜|草木|树木|花草|庄稼|植物|禾苗)"
                     r"(?![塘城园棚圈舍场池缸馆市])")  # nor of bees and plants: 蜜蜂大量死亡, 草木被车主轧死
# (鱼塘, 羊城, 动物园, 牛棚 are places: 男子在鱼塘溺亡 is a man's death.) An animal is no victim where it does the harm
# (被狗咬伤, 被邻居家的狗咬死: after 被 or 遭) or is held, led or walked by the one harmed (抱爱犬跳楼身亡, 遛狗时被撞死).
_ANIMAL_AGENT_BEFORE = re.compile(r"[被遭]")
_ANIMAL_HELD = re.compile(r"(?:抱|牵|遛|带|背|救)(?:着|了)?(?:[爱小大野宠]|一[只条头])?$")
# A question asked to make a point names no death or injury: 难道M3县人在外地死亡就注定要吃这个亏吗？
_RHETORICAL_BEFORE = re.compile(r"难道[^，。；！？,;!?\n]*$")
# …nor one that ends in 吗？: 10万元能弥补一起重伤或死亡交通事故吗？
# (_Sentences.asked_after: the sentence's last character is 吗 or 么 and its stop 。…？ — a cut sentence ends in 。 before
# its ？, once a cut.)
_SENTENCE_STOP = re.compile(r"[。！？!?\n]")
_QUESTION_MARK_AFTER = re.compile(r"。*[？?]")
_CLAUSE_STOP = re.compile(r"[，。；！？,;!?\n：: ]")
# A death from illness is no incident's casualty: 多器官衰竭而死亡 after 46 days in intensive care.
_ILLNESS_BEFORE = re.compile(r"衰竭|癌|病逝|病重|病危|病情恶化|寿终")
_NOBODY_BEFORE = re.compile(r"(?:没有?|无|未|不|别|防)(?:人|有人|任何人|(?:一名|任何)?(?:学生|师生|儿童|工人|村民|居民|群众|"
                            r"乘客|人员))?(?:不幸|当场)?$")  # 该校无学生死亡
_DENIAL = re.compile(
    r"(?:无|未造成|没有|暂无|未发现|未有|并无|无一|未)(?:造成|导致|出现|发生)?(?:任何)?(?:人员|人)?"
    r"(?:伤亡|死伤|受伤|死亡)"
    r"|(?:无|没有|暂无|未发现|未有|并无)(?:人员|人)?(?:被困|受困|被埋|失踪|失联)"
    # Who owes money and 失联 has absconded, nobody is missing: 「拖欠农民工工资半年，包工头失联」 told a press office of a
    # missing person, a sensitive cue with its 2 h report upward.
    r"|(?:包工头|工头|老板|老赖|负责人|法人|法定代表人|开发商|老总|经理|承包人|承包商|中介|房东|商家|店主|公司|企业|平台)"
    r"(?:已经|已|早已|突然|至今|也|都|就)?(?:失联|失踪|玩失踪|跑路)"
)
# A rebuttal (辟谣) reports no casualties: in a sentence calling something false, the clauses that say so and
# the clauses that repeat the rumour ("网传…3人死亡，经核实系谣言") are dropped; the rest stands ("事故已造成3人
# 死亡，请不要传播谣言", "火灾造成3人死亡，网传10人死亡的说法不实").
_SENTENCE = re.compile(r"[^。！？!?\n]+")
_CLAUSE_IN_SENTENCE = re.compile(r"[^，,；;]+")
_REBUTTAL = re.compile(r"谣言|辟谣|造谣|谣传|不实|假消息|虚假信息|系编造|不属实|并非事实|并不属实")
_RUMOUR_TOLD = re.compile(r"^\s*(?:(?:近日|日前|昨日|昨天|今日|今天|近期|最近)[，,]?\s*)?(?:网传|传言|有传言|网上流传|网上传|据传|有网友称|坊间传)")
# People trapped and then brought out ("被困，十分钟后被救出") are not casualties; "仍有…被困" still are, and so
# are those a partial rescue left ("5人被困，已救出3人").
_RESCUED = re.compile(r"救出|获救|脱险|脱困|营救成功|安全转移")
_STILL = re.compile(r"仍有|仍然|尚有|还有|仍")
_RESCUED_COUNT = re.compile(rf"(?:救出|获救)[^，。；0-9{_CN}]{{0,6}}(?P<n>[0-9{_CN}]+)\s*(?:名|人|个)|"
                            rf"(?P<m>[0-9{_CN}]+)\s*(?:名|人)[^，。；]{{0,6}}(?:被救出|获救|脱险)")
# Citizens warn of what *could* happen ("以免造成人员伤亡", "存在火灾隐患"): a warning is not an incident.
_HYPOTHETICAL_BEFORE = re.compile(
    r"以免|避免|防止|预防|以防|防范|容易|可能|恐|一旦|万一|险些|差点|会不会|如果|若|假如|担心|担忧|害怕|杜绝|"
    r"将会|极易|易引发|会引起|会造成|会导致|会(?<![社机大委协工学商年]会)(?:立即|立刻|直接|马上)?致|可致|可使|难道[^，。？?]{0,3}要|非得等|要等|等到|不会有|才会|就会|会(?<![委社机大协工学商年]会)被|要被|"
    r"是不是|(?<![赶达来回抵])到时|"
    # what may come any time or soon (煤气瓶说不定随时发生火灾, 房屋破旧快要倒塌), must not come (不要酿成群体性事件,
    # 总不能为了这个事情造成冲突), or a likeness (就像一个巨大的爆炸场声响)
    r"说不定|指不定|随时|迟早|快要|即将|眼看|濒临|总不能|切勿|请勿|"
    r"(?<![图影录肖画头偶想])像|如同|犹如|仿佛|好比")
_HYPOTHETICAL_AFTER = re.compile(r"^.{0,2}(?:隐患|风险|危险|演练|演习|预防|预警|防控|防范|安全|通道|设施|知识|宣传|"
                                 # 失火可能性加大, 防线垮塌的后果, 楼房坍塌的案例, 天津大爆炸的阴霾, 火灾猛于虎
                                 r"可能|几率|概率|后果|案例|事例|先例|教训|阴霾|猛于虎)|"
                                 # 大火事故发生前, 火灾或其他险情发生时 (any of a kind: 火灾发生时3人被困 is one)
                                 r"^[^，。；！？,;!?\n]{0,6}发生(?:前|之前)|^或其他[^，。；！？,;!?\n]{0,4}发生时|"
                                 # one hazard of a list: 存在交通、火灾、触电、噪音的隐患
                                 r"^(?:[、和及与或][\u4e00-\u9fff]{1,4}){1,5}等?(?:方面)?的?(?:安全)?(?:隐患|风险)|"
                                 r"^.{0,8}(?:不堪设想|都有可能|怎么办|谁负责|谁来负责|的话|才会|才能|才肯|"
                                 # 发生火灾无处逃生, 火灾事故不怕一万就怕万一
                                 r"无处逃生|无法逃生|难以逃生|无路可逃|万一|不怕一万)")
# Negated right before (未起火) or a clause before (没有发生电路起火), or what a thing is prone to (易引发冲突).
_NEGATED = re.compile(r"(?:[未没不无]|(?<![交贸简])易|(?:没有|没|未|未曾|不曾|并未|从未)(?:发生|出现|引发|造成|导致)过?"
                      r"[^，。；！？,;!?\n]{0,4})$")
# What might happen is not what did. After a condition (如果, 万一, 一旦…) nothing to the end of its sentence is
# counted: "如果楼体坍塌，就有300多人死亡" (a citizen's warning graded I before). A clause that only says what
# could result (可能造成…) is not counted either, but the next clause is: "可能导致了爆炸，事故造成3人死亡".
# (Look-behinds sit after a pattern's first character, so the regex engine skips ahead to it in C.)
# A bare 如 is a condition when a clause of what follows comes next: "如200多台电动车集中充电，发生火灾…" (not 如今,
# 例如, 如何).
_CONDITIONAL = re.compile(r"如果|假如|假若|假设|倘若|要(?<![主只就还总正硬需重必不]要)是|万一|一旦|一但|若是|若发生|如(?=发生|出现|遇)|"
                          r"若(?<![倘假]若)(?!干)(?=[^，。；！？,;!?\n]{0,15}(?:发生|出现|遇|起火|着火))|"
                          # a fear, to the end of its sentence: 我时时担心，家中的电器…造成火灾; 生怕房屋会倒塌
                          r"担心|担忧|生怕|害怕|唯恐|就怕|恐怕|提心吊胆|"
                          r"如(?<![例比譬诸正有犹宛假]如)(?![今何下实期约同此是意果])"
                          r"(?=[^，。；！？,;!?\n]{1,20}[，,]\s*(?:就|将|会|则|便)?(?:发生|引发|造成|导致|出现))")
# A fear given as the reason of a deed (疑因担心患绝症从顶楼跳下身亡, 因担心员工闹事，过年前…发了生活费) is what was
# feared only to that deed, or to the clause's end: the deed happened.
_FEAR_AS_REASON = re.compile(r"(?:因为?|由于|出于)$")
_DEED_AFTER_FEAR = re.compile(r"[，,；;]|而|便|遂|竟|于是|选择|跳|自杀|轻生|服毒|喝药|上吊")
_POTENTIAL = re.compile(r"可能(?:会)?(?:造成|导致|带来|发生|出现|引发)|会(?<![社机大]会)(?:造成|导致|带来)|"
                        r"将(?:会)?(?:造成|带来|引发|酿成)|将会是|会酿成|足以(?:造成|导致)")
# What a citizen asks to prevent: the rest of its clause is no report ("以免雨季再次垮塌造成人员伤亡").
_HEADLINE_PHRASE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff0-9])")
_PRECAUTION = re.compile(r"以免|避免|防止|以防|防范|杜绝|预防|谨防|严防|免得|切勿|请勿|"
                         r"不要(?:酿成|造成|引发|导致|发生|出现|采取)")  # (not 劝说男子不要散发小广告被打伤)
# What happens again and again is a hazard, not an incident: "也造成过多人多次摔伤" in a road-repair request was read as
# 2 injured and graded III, escalated to the city's 秘书长 and listed in 23 daily digests.
# A court's judgment or an award of damages follows an incident long past: 「拔罐减肥时烧伤获赔7000元」, 「撞死2人 一审被判
# 赔偿80万元」 — 25 of the 152 real 社会 headlines the casualty floor lifted to III were such follow-ups. A victim asking
# for compensation (拒绝赔偿) is not a judgment.
_JUDGMENT = re.compile(r"获赔|判赔|一审|二审|终审|重审|再审|宣判|判处|判决|被判|开庭|庭审|提起公诉|获刑|判刑|死刑|无期徒刑|缓刑")
# So is a series the text counts by occurrences, not by people: 引起2次火灾, 发生了3起火灾, 一年平均发生火灾2-3次,
# 接二连三发生火灾, 火灾频发, 多处塌陷 — the fire history a letter gives to ask for a fire lane or a hydrant — and the
# fires of unnamed others (A8县近期都有小区因消防车道不通发生火灾, in a letter asking whether its own road passes).
_HABITUAL = re.compile(r"多次|屡次|屡屡|数次|几次|经常|常常|时常|频繁|频频|时有|常有|不时|每年都|年年|频发|高发|多发|屡有|往往|"
                       r"屡见|司空见惯|层出不穷|接二连三|一再|反复|连续发生|好几(?:[起次处]|个(?!人))|多处|到处|各地|多地|"
                       r"[都也均]有(?:些|的)?(?:小区|楼盘|居民楼)|"
                       r"[0-9０-９两二三四五六七八九十几多数]+(?:[-~～到至][0-9０-９]+)?(?:次|起)(?![诉草步来身床飞码])")
# An incident the sentence dates long before the post is no casualty of a current one: a letter's 「我父亲…于17年10月
# …被撞身亡」 (an appeal about a 2017 death) or 「2015年…几个人出现不同程度的受伤」 graded III. A date counts when it has a
# four-digit year, or a two-digit one with a month; a year that dates a building (2015年建成) does not.
_DATED = re.compile(r"(?<![0-9０-９])(?:(?P<year>(?:19|20)[0-9]{2})年(?!代|度|建|修|开通|竣工|投入|交房|交付|入住|出生|成立|购|买|开始)"
                    r"|(?P<yy>[0-9]{2})年(?=[0-9]{1,2}月|的?[上下]半年|底|初))(?:(?P<month>[0-9]{1,2})月)?")
# …and so does one the sentence calls past itself (去年, 三年前), with or without the post's time.
_LONG_AGO = re.compile(r"(?:去年|前年|[0-9一二两三四五六七八九十几多]+年前)(?![建修开买购])")
_NOW = re.compile(r"今年|本月|上月|上个月|上周|上个?星期|上个?礼拜|本周|这周|近期|最近|前几天|前天|今天|今日|昨天|昨日|昨晚|今晨|近日|日前|刚刚|刚才|目前|现在")
# …and one it tells as something that has happened before (曾发生过火灾, 老屋早已倒塌, 房子倒塌十多年了, 小区己历经了火灾),
# an old one still unrepaired (河堤垮塌到至今还没有修复), or news the writer saw (看到重庆…发生火灾…的报道).
_PAST_TOLD = re.compile(r"曾经|曾(?=[经在被发出有遭多一两三几度])|早已|早就|早年|早几年|当年|那年|历史上|"
                        r"(?:发生|出现|出|有|遭遇|经历)过|历经|(?:倒塌|垮塌|坍塌|起火|着火|失火|爆炸|火灾|火情)过(?![程后来去])|"
                        r"(?:倒塌|垮塌|坍塌|塌方|起火|着火|失火|爆炸|火灾)[^，。；！？,;!?\n]{0,3}[0-9一二两三四五六七八九十几多]+年了")
_PAST_OVER_NOW = re.compile(r"原帖|原贴|前帖|至今(?:还|仍|都)?(?:没有|没|未)(?:得到|能|有)?(?:修复|修缮|维修|处理|解决|落实|恢复|赔偿)|"
                            r"(?:看到|看了|看过)[^。！？!?\n]{0,30}(?:报道|新闻|视频)")
# An incident a letter cites as a lesson for its own hazard is no incident of its own: the clauses of its sentence
# before the turn to the lesson (「2020年1月1日，重庆一栋高层居民楼突发大火，而消防车赶来救援时…被…占用，类似的案例在国内也
# 不是第一次」, 「…，同样的重大安全隐患就在我们身边」, 「本月江苏化工起火，西地省高速鞭炮火灾无一不告诉大家…」, 「此次芜西的煤气
# 爆炸事件，是我们这些还在用煤气罐的居民，心里慌…」) — four letters about a fire lane or a gas can flagged 苗头 for a fire
# or an explosion elsewhere. Only these turns: a place named is no citation (重庆一居民楼起火3人死亡 is a report), nor is an incident told
# plainly before the writer's own (昨天A市又一个小区着火，死了两个。…我们…连基础设施都没有配备: a death in the city).
_CITED_AS_LESSON = re.compile(r"类似的?(?:案例|事件|事故|悲剧|惨剧)|无一不(?:告诉|说明|警示|提醒|表明)|(?:我们|咱们)这些(?:还|仍|也)|"
                              r"同样的[^，。；！？,;!?\n]{0,6}?(?:隐患|问题|危险)[^，。；！？,;!?\n]{0,4}?我们")
# The span a date holds for: a sentence, or its part to a semicolon (交房 dates; 2015年…受伤), or a headline's
# phrase after a space (男子乱刀捅死情人丈夫 曾多次作案失败).
_DATED_SPAN = re.compile(r"(?:[^。！？!?\n；;\s]|\s(?<![\u4e00-\u9fff]\s)|\s(?![\u4e00-\u9fff]))+")
# How long before the post an incident dated in its text is past (a follow-up report comes within months).
PAST_AFTER_DAYS = 180
_COUNTED = re.compile(r"(?:[0-9０-９]+|[一二两三四五六七八九十百千万]+)\s*(?:名|人(?!民)|个人|位|例|死|伤)")
# A headline's phrases are clauses of their own for the habits and the past (男子乱刀捅死情人丈夫 曾多次作案失败,
# 出租车司机捅死骑车人续：曾多次获评优秀的哥).
_HABIT_CLAUSE = re.compile(r"[，。；！？,;!?\n#：]|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff0-9])")
_PAST_CLAUSE = re.compile(r"[^，,；;：]+")
# A habit given as the reason of a deed is no habit of the deed: 因为女儿经常弄脏衣服将其掐死 (to the 将/把 of the deed).
_HABIT_AS_REASON = re.compile(rf"(?:因为?|由于)[^，。；！？,;!?\n]*?(?:{_HABITUAL.pattern})[^，。；！？,;!?\n]*?(?=[将把])")
# (The people gather, not a road fenced off in front of them: 将居民出入道路围堵; nor a place they gather at: 居民买菜
# 购物聚集地.)
_MASS_INCIDENT = re.compile(
    r"(?<![将把被给])(?:群众|村民|业主|工人|民众|居民|家属|学生|员工|农民工|上百人|数百人|几十人|多人)[^，。；,;]{0,4}"
    r"(?:聚集(?!地|区|点|场所|处|的地)|围堵|堵路|堵门|冲击)|聚集(?:维权|讨薪|上访|抗议|闹事)|(?:发生|造成|引发)(?:激烈|肢体)?冲突|"
    r"围堵(?:政府|大门|办公|道路|门口)")
# A clash (冲突) is a mass incident when a crowd, the police or the hurt are in its sentence (组织大量人员…发生冲突, 发生
# 冲突，派出所抓人); a quarrel of a crew or a guest with residents (施工队…与业主发生激烈冲突, 来往客人与小区业主发生
# 冲突) is not. A banner (拉横幅) is a protest's only beside what it protests (维权, 讨薪…): an owners' election asks for
# 工作牌、拉横幅.
_CLASH = re.compile(r"冲突")
_CLASH_GRAVE = re.compile(r"警|派出所|抓|带走|拘留|大量|大批|众多|上百|数百|数十|几十|上千|群众|村民|多名|多人|一群|"
                          rf"{_INJURY}|{_DEATH}|流血|殴打|打人|住院|送医|(?:[1-9][0-9]+|[3-9]|[三四五六七八九十几数]十?)[名个位]?人(?!员)")
_BANNER = re.compile(r"拉横幅")
_PROTEST = re.compile(r"维权|抗议|讨薪|讨说法|示威|声讨|聚集|围堵|静坐|堵路|堵门|上访|闹事|还我")
# A question asked to make a point tells nothing as happened: 试问纠结同伙去他人经营场所…聚众闹事…，这个算不算涉黑涉爆？
_RHETORICAL_SENTENCE = re.compile(r"(?:试问|难道)[^。！？!?\n]*。*[？?]")  # (a cut sentence ends in 。 before its ？)
# The injured "送往医院" or "入院治疗": the hospital is not where the incident is.
_TAKEN_TO_HOSPITAL = re.compile(r"送医|(?:送往|送至|送到|送入|转往|转至|抬往|送)[^，。；,;]{0,8}?(?:医院|卫生院|诊所|急诊)")
# Letters are addressed to officials ("尊敬的书记", "市长信箱"): that names no official in the matter.
_SALUTATION = re.compile(r"(?:尊敬的|敬爱的|致)[^，。,：:]{0,10}?(?:书记|市长|县长|区长|局长|镇长|领导)|"
                         r"(?:书记|市长|县长|区长)(?:信箱|热线|留言板)|"
                         # a letter that opens with the addressee: 胡书记：您好, 沈书记您好
                         r"(?:^|\n)\s*[\u4e00-\u9fff]{0,3}(?:书记|市长|县长|区长|局长|镇长|领导)"
                         r"(?:[：:]|[，,！!]?\s*(?:您好|你好))|"
                         # …greets or calls on one in the text: 书记好, 胡市长，我们这11个商户…, 请求书记解决
                         r"(?:书记|市长|县长|区长|局长|镇长|乡长|领导)(?:[：:，,]?\s*(?:您好|你好)|好[：:，,！!\s]|大人)|"
                         # (a surname before the office, not 县委书记，因受贿被双规 nor 找了区长，)
                         r"(?:^|[\n。！？!?，,；;])\s*[\u4e00-\u9fff](?<![委府副省市县区镇乡村党了的给找向请问跟和与对让叫被是个位名])"
                         r"(?:书记|市长|县长|区长|局长|镇长|乡长|领导)[，,：:！!]|"
                         r"(?:请|恳请|垦请|请求|恳求|烦请|麻烦|拜托|希望|盼望|期盼)[^，。,；;！!？?\n]{0,4}?"
                         r"(?:书记|市长|县长|区长|局长|镇长|乡长|领导)")
# An office after a place name may be the start of the next word: A市长郡中学, A5区长房半岛, 长沙市长沙县.
_PLACE_OFFICE = re.compile(r"[市县区镇乡省]长")
# Words that begin with 长 in place and school names (长郡中学, 长沙县, 长房…): after 市/县/区 they are no office.
_CHANG_WORDS = frozenset("长郡 长沙 长房 长龙 长春 长江 长城 长安 长乐 长丰 长桥 长岭 长塘 长坡 长兴 长宁 长寿 长虹 长途 "
                         "长期 长效 长远 长达 长度 长廊 长铺 长韶 长株 长益 长常 长张 长天 长湖 长郡 长冲 长田".split())
# An official leading the response is not an official involved in the matter: the government's own 通报 (成立由分管
# 副区长任组长的工作专班, 区长率队赶赴现场, 市委书记作出批示) made its case "sensitive: officials" and raised its grade.
_LEADS_RESPONSE = re.compile(
    r"[^，。；,;！!？?\n]{0,4}?(?:任组长|为组长|任总指挥|挂帅|赶赴|赶往|亲临|主持召开|召开|作出批示|作出指示|批示|指示|"
    r"部署|调度|慰问|看望|督导|督办|"
    # leading a team is a response only when the team checks, investigates or rescues (副局长带队强拆 is no response)
    r"(?:带队|率队|率领|牵头)[^，。；,;！!？?\n]{0,12}?(?:检查|调查|核查|排查|处置|救援|现场|专班|工作组|调查组|善后|走访))")
# The city-management bureau asked to act is an agency, not an official named in the matter (城管打人, 城管队员 are).
_AGENCY = re.compile(r"城管(?:局|执法局|执法大队|执法支队|执法中队|部门|办(?!事)|委|热线|电话|还是|或)")
# …and so is the one a citizen calls or turns to (不知道要找城管还是交警, 多次打12345及城管热线, 向城管反映).
_ASKED_BEFORE = re.compile(r"(?:找|向|给|联系|拨打|打|致电|投诉|反映|举报|告知|通知|叫|请|求助)[^，。,；;！!？?\n]{0,3}$")
# A word alone in quotes is a word quoted, not an incident told: 自己则以“失联”应对.
_QUOTES = frozenset("“”\"「」‘’'『』")
_ABSCONDER = re.compile(r"(?:包工头|工头|老板|老赖|负责人|法人|法定代表人|开发商|老总|董事长|实际控制人|承包人|承包商|党员)"
                        r"[^。！？!?\n]*$")
_IN_A_LIFT = re.compile(r"电梯|轿厢|困人")
_INCIDENT_IN_LIFT = re.compile(r"火灾|起火|着火|浓烟|爆炸|坍塌|倒塌|地震|坠落|死亡|身亡|受伤")
_FLAG_RE = {name: re.compile("|".join(map(re.escape, words))) for name, words in FLAG_WORDS.items()}
_FLAG_RE["mass_incident"] = re.compile(_FLAG_RE["mass_incident"].pattern + "|" + _MASS_INCIDENT.pattern)
_VERB_ANY = re.compile("|".join(_KINDS.values()))
# The words every gathering pattern (_MASS_INCIDENT) contains: a gathering may carry no other cue word.
_GATHERING_WORDS = {"聚集", "围堵", "堵路", "堵门", "冲击", "冲突"}
# Every word a cue needs — the flags' words, the gathering words, 死 and the casualty verbs — found in one pass, each
# occurrence: most posts hold none and skip the rest, and a pattern none of whose words a text holds is not tried
# (each scanned the whole text, and some have no first character the regex engine could skip ahead to).
_CUE_WORDS = sorted({w for ws in FLAG_WORDS.values() for w in ws} | {"死"} | _GATHERING_WORDS
                    | set(_VERB_ANY.pattern.split("|")) | {"骨折", "中毒", *(f"{v}断" for v in "压砸撞轧打摔踢")})
_CUE_AUTOMATON = AhoCorasick(_CUE_WORDS)
_FLAGS_OF_WORD = {word: {name for name, ws in FLAG_WORDS.items() if word in ws}
                  | ({"mass_incident"} if word in _GATHERING_WORDS else set()) for word in _CUE_WORDS}
# Every denial (_DENIAL) ends with one of these.
_DENIED_WORDS = frozenset(("伤亡", "死伤", "受伤", "死亡", "被困", "受困", "被埋", "失踪", "失联"))


def _cue_words(text: str) -> set[str]:
    """The cue words ``text`` holds."""
    return {_CUE_WORDS[i] for i, _, _ in _CUE_AUTOMATON.find_matches_as_indexes(text, overlapping=True)}


def chinese_number(token: str) -> int | None:
    """Parse "12", "十二", "两", "一百零五", "三万" and vague quantities ("数十" → 20); None if not a number."""
    token = token.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not token:
        return None
    if token.isdigit():
        return int(token)
    if token.endswith("万") and token[:-1].replace(".", "", 1).isdigit():  # 1.2万
        return round(float(token[:-1]) * 10_000)
    if token in _VAGUE:
        return _VAGUE[token]
    total, section, digit = 0, 0, None
    for ch in token:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


@dataclass
class SeverityCues:
    """Counts of people harmed (lower bounds) and the flags found; mergeable across an event's posts."""

    deaths: int = 0
    injured: int = 0
    admitted: int = 0  # taken to hospital (送医, 住院): no injury said, but the injury floors count them (grading)
    missing: int = 0
    trapped: int = 0
    flags: set[str] = field(default_factory=set)

    @property
    def counted_casualties(self) -> bool:
        """People reported harmed with a number: the evidence a grade floor needs."""
        return any(getattr(self, k) for k in COUNTED)

    @property
    def has_casualties(self) -> bool:
        return self.counted_casualties or "casualties" in self.flags

    def names(self) -> set[str]:
        """Every cue present, counted kinds included (for floors and early warnings)."""
        return {k for k in COUNTED if getattr(self, k)} | self.flags

    def as_list(self) -> list[str]:
        """The ``Post.severity_cues`` form: ``deaths:3`` for counts, bare names for flags."""
        counted = [f"{k}:{getattr(self, k)}" for k in COUNTED if getattr(self, k)]
        return counted + sorted(self.flags)

    @classmethod
    def from_list(cls, cues: list[str] | None) -> SeverityCues:
        out = cls()
        for cue in cues or []:
            name, _, value = cue.partition(":")
            if name in COUNTED and value.isdigit():
                setattr(out, name, max(getattr(out, name), int(value)))
            elif name:
                out.flags.add(name)
        return out

    def merge(self, other: SeverityCues) -> None:
        """Combine cues of one incident: reports update counts, so the largest count stands."""
        for k in COUNTED:
            setattr(self, k, max(getattr(self, k), getattr(other, k)))
        self.flags |= other.flags

    def describe_casualties(self) -> str:
        parts = [f"{getattr(self, k)}人{CUE_LABELS[k]}" for k in COUNTED if getattr(self, k)]
        # (an event's posts may count those another post only names: 2人被困 says it)
        parts += [f"有人{CUE_LABELS[k]}(人数未知)" for k in ("missing", "trapped") if k in self.flags and not getattr(self, k)]
        if not parts and "casualties" in self.flags:
            parts.append("人员伤亡(人数未知)")
        return "、".join(parts)


def _names_an_official(text: str, match: re.Match[str]) -> bool:
    """Whether an officials word names one: not an agency (区城管局), and not 市长/县长/区长… that is a place's last
    character and the first of a word beginning with 长: a masked place (A市长郡中学, A5区长房半岛) or a known 长
    word (长沙市长郡中学, 长沙市长沙县), and not one leading the response (副区长任组长, 市长率队赶赴现场). 北京市长陈吉宁,
    湖北省省长, 要求县长出面 name officials."""
    if match.group(0) == "城管" and (_AGENCY.match(text, match.start())
                                   or _ASKED_BEFORE.search(text, max(0, match.start() - 6), match.start())):
        return False
    if match.group(0) != "官员" and _LEADS_RESPONSE.match(text, match.end()):  # 官员慰问清单遭曝光 is a scandal
        return False
    if _PLACE_OFFICE.fullmatch(match.group(0)) and match.start():
        before = text[match.start() - 1]
        if before.isascii() and before.isalnum():
            return False
        return text[match.start() + 1 : match.start() + 3] not in _CHANG_WORDS
    return True


class _Sentences:
    """The sentences of one text (to 。！？!?\n), found once, and what a sentence test finds in each, tested once.

    Every match of a repeated word (冲突, 被困, 撞死…) asks about its sentence; a letter written with commas only is one
    sentence, so scanning the sentence per match made a 30,000-character letter take 16 s."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._stops = [m.start() for m in _SENTENCE_STOP.finditer(text)]
        self._found: dict[tuple[re.Pattern[str], int, int], bool] = {}
        self._asked: dict[int, bool] = {}
        self._clause_stops: list[int] | None = None

    def around(self, start: int, end: int) -> tuple[int, int]:
        """Where the sentence that holds text[start:end] begins and ends."""
        before = bisect_left(self._stops, start)
        after = bisect_left(self._stops, end)
        return (self._stops[before - 1] + 1 if before else 0,
                self._stops[after] if after < len(self._stops) else len(self.text))

    def holds(self, pattern: re.Pattern[str], start: int, end: int) -> bool:
        """Whether ``pattern`` is found in the sentence that holds text[start:end]."""
        begin, stop = self.around(start, end)
        key = (pattern, begin, stop)
        if key not in self._found:
            self._found[key] = pattern.search(self.text[begin:stop]) is not None
        return self._found[key]

    def asked_after(self, at: int) -> bool:
        """Whether the sentence goes on from ``at`` to a question in 吗？ (10万元能弥补一起重伤或死亡交通事故吗？): its last
        character is 吗 or 么, after ``at``, and its stop is 。…？ — looked at once per sentence, not scanned to per word."""
        after = bisect_left(self._stops, at)
        if after == len(self._stops) or self._stops[after] - 1 < at:
            return False
        stop = self._stops[after]
        if stop not in self._asked:
            self._asked[stop] = self.text[stop - 1] in "吗么" and _QUESTION_MARK_AFTER.match(self.text, stop) is not None
        return self._asked[stop]

    def clause_start(self, at: int) -> int:
        """Where the clause (or a headline's phrase) that holds text[at] begins."""
        if self._clause_stops is None:
            self._clause_stops = [m.start() for m in _CLAUSE_STOP.finditer(self.text)]
        before = bisect_left(self._clause_stops, at)
        return self._clause_stops[before - 1] + 1 if before else 0


def _gathering(sentences: _Sentences, match: re.Match[str]) -> bool:
    """Whether a mass-incident match tells of people gathering or clashing, not a quarrel or a banner in passing."""
    if _CLASH.search(match.group(0)):
        return sentences.holds(_CLASH_GRAVE, match.start(), match.end())
    if _BANNER.fullmatch(match.group(0)):
        return sentences.holds(_PROTEST, match.start(), match.end())
    return True


def _not_a_missing_person(sentences: _Sentences, match: re.Match[str]) -> bool:
    """A boss who 失联 after debts has absconded (由于法人的失联, 老板…亦或失踪), a party member 失联 has lost touch with
    the party, and people 被困 in a lift wait for a repairman (有人被困电梯一个小时): none is a missing or trapped person."""
    before = sentences.text[max(0, match.start() - 30) : match.start()]
    if match.group(0) in ("失联", "失踪"):
        return _ABSCONDER.search(before) is not None
    return sentences.holds(_IN_A_LIFT, match.start(), match.end()) and \
        not sentences.holds(_INCIDENT_IN_LIFT, match.start(), match.end())


def reported(text: str, start: int, end: int) -> bool:
    """Whether an incident word at text[start:end] reports something, not a fear or a precaution."""
    if _HYPOTHETICAL_BEFORE.search(text, max(0, start - 12), start) or _NEGATED.search(text, max(0, start - 12), start):
        return False
    return _HYPOTHETICAL_AFTER.match(text[end : end + 24]) is None


def _victims_before(items: list[tuple[str, re.Match[str]]], doers: int, clause: str) -> re.Match[str] | None:
    """The count of victims before the doers' (24名村民被20余名…男子打伤): the nearest count that 被 or 遭 follows."""
    verb = items[doers + 1][1]
    for i in range(doers - 1, -1, -1):  # (items go in order: past the gap, every one before is farther)
        kind, m = items[i]
        if verb.start() - m.end() > _MAX_VICTIMS_GAP:
            break
        if kind == "n" and _VICTIMS_FIRST.search(clause, m.end(), items[doers][1].start()):
            return m
    return None


def _clause_counts(clause: str, incident: bool) -> list[tuple[str, int]]:
    """Pair counts with casualty verbs in one clause.

    A clause is written either count-first ("3人死亡、12人受伤") or verb-first ("死亡12人，受伤3人",
    "死亡人数升至12人"); the first item decides, so the 12 of "3人死亡12人受伤" goes to 受伤 and the 12 of
    "死亡12人受伤3人" to 死亡. People taken to hospital count (as admitted) only in the report of an incident.
    """
    items = [(m.lastgroup or "", m) for m in _ITEM.finditer(clause)
             if (m.lastgroup != "n" or not (_NOT_CASUALTIES.search(clause, max(0, m.start() - 8), m.start())
                                            or (m.group(0).endswith("人") and _AMONG.match(clause, m.end()))))
             and (m.lastgroup != "admitted" or not _NO_ADMISSION_AFTER.match(clause, m.end()))]
    if not items or not any(kind == "n" for kind, _ in items):
        return []
    count_first = items[0][0] == "n"
    out = []
    for i, ((a_kind, a), (b_kind, b)) in enumerate(pairwise(items)):
        if b_kind == "admitted" and (not incident or (b.group(0).startswith(("送", "转", "抬"))
                                                      and not _TAKEN_TO_HOSPITAL.match(clause, b.start()))):
            continue
        if a_kind == "admitted" and not incident:  # (住院12人 as much as 12人住院: 怎么一个住院法 in a policy question)
            continue
        victims = None
        if count_first and a_kind == "n" and b_kind != "n":
            doers = _KILLED_BY.fullmatch(b.group(0)) and not _VICTIMS_FIRST.search(clause, a.end(), b.start())
            victims = _victims_before(items, i, clause) if doers else None
            if victims is not None:
                a = victims
            elif (doers and not _DISPOSAL.search(clause, max(0, a.start() - 2), a.start())
                    and not _CAUSED.search(clause, max(0, a.start() - 3), a.start())
                    and _OBJECT_AFTER.match(clause, b.end())):
                if not _THREAT_BEFORE.search(clause, max(0, b.start() - 6), b.start()):
                    out.append((b_kind, 1))  # the count names who did it: 4名歹徒砸死店主 killed one at least
                continue
            number, verb = a, b_kind
        elif not count_first and a_kind != "n" and b_kind == "n":
            if b.start() and clause[b.start() - 1] in "我你他她己":
                continue  # 去世后由我一个人抚养: "alone", not how many died
            if "案" in clause[a.end() : b.start()] or _SENTENCED_AFTER.match(clause, b.end()):
                continue  # 岳父雇凶杀害女婿案9人获刑: those sentenced, not the dead
            number, verb = b, a_kind
        else:
            continue
        value = chinese_number(number.group("num"))
        # A count of ten thousand or more stands right by its verb ("1.2万人死亡"), or it counts something else.
        gap = _MAX_GAP if value is None or value < 10_000 else 2
        if value and value <= MAX_COUNT and (b.start() - a.end() <= gap or victims is not None):
            out.append((verb, value))
    return out


def _without_rumour(sentence: re.Match[str]) -> str:
    """A sentence with its rebuttal clauses and, if it rebuts, the rumour it repeats, taken out: from a clause
    that tells a rumour (网传…) to the clause that rebuts it ("网传自来水被投毒，已有多人中毒死亡，纯属谣言"
    counted the deaths of the second clause). A sentence that only tells the rumour, in a text that rebuts it
    elsewhere ("网传…已有2人死亡。经核实，系造谣"), goes whole."""
    text = sentence.group(0)
    if not _REBUTTAL.search(text):
        return "。" if _RUMOUR_TOLD.search(text) else text
    kept, telling = [], False
    for clause in _CLAUSE_IN_SENTENCE.findall(text):
        telling = telling or _RUMOUR_TOLD.search(clause) is not None
        rebuts = _REBUTTAL.search(clause) is not None
        if not telling and not rebuts:
            kept.append(clause)
        if rebuts:
            telling = False
    return "，".join(kept) if kept else "。"


def _before_hypothesis(sentence: re.Match[str]) -> str:
    """A sentence without what it only supposes: cut at a condition, and without clauses of possible results."""
    text = sentence.group(0)
    condition = _CONDITIONAL.search(text)
    while condition is not None and _FEAR_AS_REASON.search(text, max(0, condition.start() - 2), condition.start()):
        deed = _DEED_AFTER_FEAR.search(text, condition.end())
        if deed is None:
            break
        text = text[: condition.start()] + text[deed.start() :]
        condition = _CONDITIONAL.search(text, condition.start())
    if condition is not None:  # (to a headline's next phrase: 家长担心孩子安全 校车起火3名学生受伤)
        phrase = _HEADLINE_PHRASE.search(text, condition.end())
        text = text[: condition.start()] + ("，" + text[phrase.end() :] if phrase else "")
    if _POTENTIAL.search(text) or _PRECAUTION.search(text):
        clauses = (c[: m.start()] if (m := _PRECAUTION.search(c)) else c for c in _CLAUSE_IN_SENTENCE.findall(text))
        text = "，".join(c for c in clauses if not _POTENTIAL.search(c))
    return text + "。"


def _without_the_past(text: str, posted: date | None) -> str:
    """A text without the sentences that tell what happened long before the post.

    A story dated long ago goes on in the sentences after its date as long as they tell harm and give no time of
    their own: 「2013年9月29号…打伤…村民数十人。被打伤的村民有医院诊断书…」 is one beating, six years past.
    """
    carried = False

    def sentence(span: re.Match[str]) -> str:
        nonlocal carried
        told = span.group(0)
        past = _is_past(told, posted)
        if past is None:  # no time of its own: the story before goes on while it tells harm
            past = carried and _tells_harm(told)
        carried = past and _tells_harm(told)
        if not past and _PAST_TOLD.search(told):
            told = _without_past_clauses(told)
        return "。" if past else told

    return _DATED_SPAN.sub(sentence, text)


def _tells_harm(text: str) -> bool:
    return _VERB_ANY.search(text) is not None or _INCIDENT_TOLD.search(text) is not None


def _without_past_clauses(sentence: str) -> str:
    """A sentence without the clauses that tell what has happened before (早几年曾发生过…燃气爆炸事件，爆炸使…墙体
    垮塌，…) — to a clause that gives a time of its own or tells no harm — keeping the rest (…现在过去快半年了)."""
    kept, carried = [], False
    for clause in _PAST_CLAUSE.findall(sentence):
        if _PAST_TOLD.search(clause) and not _NOW.search(clause):
            carried = True
        elif carried and not (_NOW.search(clause) or _DATED.search(clause)) and _tells_harm(clause):
            pass
        else:
            carried = False
            kept.append(clause)
    return "，".join(kept)


def _is_past(text: str, posted: date | None) -> bool | None:
    """Whether a sentence tells what happened long before the post (True), now (False), or gives no time (None)."""
    if _PAST_OVER_NOW.search(text):
        return True
    if _NOW.search(text):
        return False
    if _LONG_AGO.search(text):
        return True
    latest = None
    for m in _DATED.finditer(text):
        year = int(m.group("year")) if m.group("year") else 2000 + int(m.group("yy"))
        month = int(m.group("month")) if m.group("month") and 1 <= int(m.group("month")) <= 12 else 12
        end = date(year, month, 28)
        latest = end if latest is None else max(latest, end)
    if latest is None:
        return None
    return posted is not None and (posted - latest).days > PAST_AFTER_DAYS


def _without_judgment(sentence: re.Match[str]) -> str:
    """A sentence that reports a court's judgment or an award (获赔, 一审被判…) tells of an incident long past."""
    return "。" if _JUDGMENT.search(sentence.group(0)) else sentence.group(0)


def _without_the_example(sentence: re.Match[str]) -> str:
    """A sentence from its last turn to a lesson on (_CITED_AS_LESSON): what it tells before is the example cited."""
    turns = list(_CITED_AS_LESSON.finditer(sentence.group(0)))
    return sentence.group(0)[turns[-1].start() :] if turns else sentence.group(0)


def _without_habits(sentence: re.Match[str]) -> str:
    """A sentence without the clauses that tell what happens again and again, with no number to it (多人多次摔伤,
    经常有人溺亡); a series counted is reported ("多次行凶致5死13伤"), and a habit given as a reason leaves its deed
    (因为女儿经常弄脏衣服将其掐死)."""
    clauses = [c[: m.start()] + c[m.end() :] if (m := _HABIT_AS_REASON.search(c)) else c
               for c in _HABIT_CLAUSE.split(sentence.group(0))]
    return "，".join(c for c in clauses if not _HABITUAL.search(c) or _COUNTED.search(c)) + "。"


def _not_told(sentences: _Sentences, m: re.Match[str]) -> bool:
    """Whether a death or hurt word is no report of one: supposed, asked, denied, of an animal or of an illness."""
    text = sentences.text
    return (not reported(text, m.start(), m.end())
            or _RHETORICAL_BEFORE.search(text, max(0, m.start() - 12), m.start()) is not None
            or sentences.asked_after(m.end())
            or _NOBODY_BEFORE.search(text, max(0, m.start() - 6), m.start()) is not None
            or _of_an_animal(text, m)
            or _ILLNESS_BEFORE.search(text, max(0, m.start() - 8), m.start()) is not None)


def _of_an_animal(text: str, m: re.Match[str]) -> bool:
    """Whether the death or hurt at ``m`` is an animal's: one named within 8 characters before it or 6 after, neither
    doing the harm nor held by the one harmed."""
    start = max(0, m.start() - 8)
    for animal in _ANIMAL.finditer(text, start, m.end() + 6):
        if animal.start() < m.end() and (_ANIMAL_AGENT_BEFORE.search(text, start, animal.start())
                                         or _ANIMAL_HELD.search(text, max(0, animal.start() - 4), animal.start())):
            continue
        return True
    return False


def _unnumbered_harm(sentences: _Sentences) -> Iterator[re.Match[str]]:
    """Deaths and injuries a text reports without a number (at least one each)."""
    text = sentences.text
    for pattern in (_SOMEONE_DIED, _DIED_UNNUMBERED, _CRIME, _HURT_UNNUMBERED):
        for m in pattern.finditer(text):
            if _not_told(sentences, m):
                continue
            if pattern is _CRIME and (
                    _THREAT_BEFORE.search(text, max(0, m.start() - 6), m.start())
                    or not (_PASSIVE_BEFORE.search(text, max(0, m.start() - 10), m.start())
                            or (not m.group("passive") and _OBJECT_AFTER.match(text, m.end())))):
                continue
            yield m


def _victims_named(text: str, at: int) -> int:
    """How many the victims named at text[at:] are: 两大学生 2, 一家三口 3, 熟睡夫妻 2, else one."""
    m = _VICTIMS_COUNTED.match(text[at : at + 8])
    if m is None:
        return 1
    return 2 if m.group("pair") else min(chinese_number(m.group("n")) or 1, MAX_COUNT)


def _harm_by_verb(sentences: _Sentences) -> Iterator[tuple[str, int]]:
    """Deaths and injuries told by a verb and whom it harmed, without a count word (撞死三轮车夫, 砸死业主, 撞伤民警,
    男孩淹死在池里, 被压断腿, 致女子受伤骨折, 中毒死后): the victims' number where the object gives one, else one."""
    text = sentences.text
    for m in _HARMED_WHO.finditer(text):
        if (_VICTIM_AFTER.match(text, m.end()) and not _not_told(sentences, m)
                and not _THREAT_BEFORE.search(text, max(0, m.start() - 6), m.start())):
            yield ("injured" if m.group("hurt") else "deaths"), _victims_named(text, m.end())
    for m in _CRIME.finditer(text):  # (its one at least is _unnumbered_harm's; here the number of its object)
        if not m.group("passive") and _OBJECT_AFTER.match(text, m.end()) and not _not_told(sentences, m) \
                and not _THREAT_BEFORE.search(text, max(0, m.start() - 6), m.start()):
            yield ("injured" if m.group("hurt") else "deaths"), _victims_named(text, m.end())
    for pattern, kind in ((_HARMED_SUBJECT, "deaths"), (_POISONED_DEAD, "deaths"), (_HURT_BODY, "injured")):
        for m in pattern.finditer(text):
            if not _not_told(sentences, m):
                # the one who died is the clause's subject: 夫妻用瓦斯炉烤火中毒死后 2, 男孩淹死在池里 1
                yield kind, (1 if pattern is _HURT_BODY else _victims_named(text, sentences.clause_start(m.start())))


def extract_cues(text: str, posted: datetime | None = None) -> SeverityCues:
    """Find severity cues in one text; never raises, empty text gives no cues.

    ``posted``, the post's time, tells how long ago a date in the text is (``PAST_AFTER_DAYS``); without it only
    what the text itself calls past (去年, 三年前) is left out.
    """
    cues = SeverityCues()
    words = _cue_words(text) if text else set()
    if not words:
        return cues
    denied = not _DENIED_WORDS.isdisjoint(words) and _DENIAL.search(text) is not None
    scan = _DENIAL.sub("。", text) if denied else text
    if _REBUTTAL.search(scan):
        scan = _SENTENCE.sub(_without_rumour, scan)
    supposes = _CONDITIONAL.search(scan) or _POTENTIAL.search(scan) or _PRECAUTION.search(scan)
    counted = _SENTENCE.sub(_before_hypothesis, scan) if supposes else scan
    if "年" in counted or _PAST_TOLD.search(counted) or _PAST_OVER_NOW.search(counted):  # (before the habits: their
        counted = _without_the_past(counted, posted.date() if posted is not None else None)  # clauses are joined by ，)
    if "试问" in counted or "难道" in counted:
        counted = _RHETORICAL_SENTENCE.sub("。", counted)
    if _HABITUAL.search(counted):
        counted = _SENTENCE.sub(_without_habits, counted)
    if _JUDGMENT.search(counted):
        counted = _SENTENCE.sub(_without_judgment, counted)
    if _CITED_AS_LESSON.search(counted):
        counted = _SENTENCE.sub(_without_the_example, counted)
    verbs = _VERB_ANY.search(counted) is not None
    counted_sentences = _Sentences(counted)
    if verbs:
        incident = _INCIDENT_TOLD.search(counted) is not None
        for clause in _CLAUSE.split(counted):
            for kind, count in _clause_counts(clause, incident):
                setattr(cues, kind, max(getattr(cues, kind), count))
    if "死了" in counted:
        for pattern in _DIED_SPOKEN:
            for m in pattern.finditer(counted):
                cues.deaths = max(cues.deaths, chinese_number(m.group("num")) or 0)
    # Each death or hurt word of these patterns (身亡, 遇难, 砸死, 重伤 …) is one of _VERB_ANY's: without one, none
    # is there.
    if verbs and not (cues.deaths and cues.injured):
        for m in _unnumbered_harm(counted_sentences):
            kind = "injured" if m.re is _HURT_UNNUMBERED or m.groupdict().get("hurt") else "deaths"
            if not getattr(cues, kind):
                setattr(cues, kind, 1)  # "有人遇难", "司机身亡", "坠楼受重伤": at least one, though no number is given
    if verbs or _MORE_HARM.search(counted):
        for kind, count in _harm_by_verb(counted_sentences):
            setattr(cues, kind, max(getattr(cues, kind), count))
    for m in _COMPACT.finditer(counted) if "死" in counted else ():
        preceded = _COMPACT_CONTEXT.search(counted, max(0, m.start() - 2), m.start())
        if m.group("i") is None and not preceded:
            continue
        deaths = chinese_number(m.group("d"))
        injured = chinese_number(m.group("i")) if m.group("i") else 0
        if deaths:
            cues.deaths = max(cues.deaths, deaths)
        if injured:
            cues.injured = max(cues.injured, injured)
    # Every salutation names a 书记, a …长 or a 领导.
    if ("长" in scan or "书记" in scan or "领导" in scan) and _SALUTATION.search(scan):
        scan = _SALUTATION.sub("。", scan)
    setting = _TAKEN_TO_HOSPITAL.sub("。", scan) if "医" in scan else scan
    worded = {flag for word in (words if scan == text else _cue_words(scan)) for flag in _FLAGS_OF_WORD[word]}
    for name, pattern in _FLAG_RE.items():
        if name not in worded:
            continue
        if name in INCIDENT_CUES:  # what happened, not what is supposed or happens again and again
            if any(reported(counted, m.start(), m.end()) for m in pattern.finditer(counted)
                   if not _NOT_AN_INCIDENT.get(m.group(0), _NEVER).search(counted, max(0, m.start() - 12), m.end() + 2)
                   and not (counted[m.start() - 1 : m.start()] in _QUOTES and counted[m.end() : m.end() + 1] in _QUOTES)
                   and (name != "mass_incident" or _gathering(counted_sentences, m))
                   and (name != "missing" or not _not_a_missing_person(counted_sentences, m))):
                cues.flags.add(name)
        elif name == "officials":
            if any(_names_an_official(scan, m) for m in pattern.finditer(scan)):
                cues.flags.add(name)
        elif pattern.search(setting if name == "hospital" else scan):
            cues.flags.add(name)
    if (cues.trapped or "trapped" in cues.flags) and _RESCUED.search(scan):
        sentences = _SENTENCE.findall(scan)
        rescued = [s for s in sentences if _RESCUED.search(s) and not _STILL.search(s)]
        counts = [chinese_number(m.group("n") or m.group("m")) or 0 for s in rescued for m in _RESCUED_COUNT.finditer(s)]
        everyone = not counts or max(counts) >= cues.trapped
        if rescued and everyone and not any(_FLAG_RE["trapped"].search(s) for s in sentences if s not in rescued):
            cues.trapped = 0
            cues.flags.discard("trapped")
    if cues.trapped or "trapped" in cues.flags:  # (被困电梯: see _not_a_missing_person; in the whole letter, which
        stuck = list(_FLAG_RE["trapped"].finditer(scan))  # names the lift in a clause of its faults: 电梯屡次发生故障)
        scanned = _Sentences(scan)
        if stuck and all(_not_a_missing_person(scanned, m) for m in stuck):
            cues.trapped = 0
            cues.flags.discard("trapped")
    for kind in ("missing", "trapped"):
        if getattr(cues, kind):
            cues.flags.discard(kind)
    if cues.deaths or cues.injured or cues.admitted:
        cues.flags.discard("casualties")
    return cues


# Damage to people or property beyond the counted cues: what tells a flood that happened from a word in passing.
_DAMAGE = re.compile(
    r"受灾|灾民|灾区|灾情|被淹|淹没|冲毁|烧毁|焚毁|无家可归|流离失所|疏散|转移安置|伤亡|遇难|丧生|被困|掩埋|"
    r"[0-9一二三四五六七八九十]+(?:\.[0-9]+)?级"  # a magnitude: "6.3级地震"
)


def reports_harm(text: str) -> bool:
    """Whether a text reports people or property harmed (counts, casualty words, damage, a magnitude)."""
    if _DAMAGE.search(text):
        return True
    cues = extract_cues(text)
    return cues.counted_casualties or bool(cues.flags & {"casualties", "missing", "trapped", "food_poisoning"})


# What a report of people harmed needs at least one of: a death, injury, hospital, missing or trapped word, 死 (撞死,
# 3死5伤) or a poisoning; a text without any (most posts) is decided by this one search.
_HARM_HINT = re.compile("|".join([_VERB_ANY.pattern, "死", *FLAG_WORDS["food_poisoning"]]))


def people_harmed(text: str) -> SeverityCues | None:
    """The cues of a text that reports people dead, injured, missing, trapped (counted: 撞死, 3人失联) or poisoned — not
    feared, supposed, denied or long past (``extract_cues``) — or None. Unnumbered 伤亡, 失踪 and 被埋 alone do not count:
    too often a fear or not a person (人员伤亡最少就是福, 代表作品失踪, 螺纹要被埋了)."""
    if _HARM_HINT.search(text) is None:
        return None
    cues = extract_cues(text)
    return cues if cues.counted_casualties or "food_poisoning" in cues.flags else None
