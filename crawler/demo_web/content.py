"""What the demo web says: project-written posts about the fictional city A市 (districts A1区…A7区).

Every text here was written for this project. The mix is what a press office sees on an ordinary
day: neutral city news, and a few livelihood incidents told several times over (official notice,
reposts, near-duplicates, angry posts) so that later stages have something to catch. Times are ages
relative to when the site starts, and so are the dates the texts mention, so the content always looks fresh.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial


@dataclass(frozen=True)
class NewsArticle:
    id: str
    title: str
    paragraphs: tuple[str, ...]
    age_hours: float
    author: str
    outlet: str = "A市日报"
    district: str | None = None
    keywords: tuple[str, ...] = ()
    repost_of: str | None = None


@dataclass(frozen=True)
class BoardMessage:
    id: str
    subject: str
    asker: str
    detail: str
    age_hours: float
    status: str = "已回复"
    reply: str | None = None
    reply_unit: str | None = None
    reply_after_hours: float | None = None


@dataclass(frozen=True)
class WeiboUser:
    id: int
    screen_name: str
    verified: bool = False
    followers: int = 120


@dataclass(frozen=True)
class WeiboPost:
    id: str
    user: WeiboUser
    text: str
    age_minutes: float
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    region: str = "湖南"
    retweet_of: str | None = None
    long_text: str | None = None
    grouped: bool = False


@dataclass(frozen=True)
class ForumThread:
    tid: int
    subject: str
    message: str
    author: str
    age_hours: float
    replies: int = 0
    views: int = 0
    likes: int = 0


@dataclass
class Catalogue:
    """All items the site can show; the scenario decides when each becomes visible."""

    news: list[NewsArticle] = field(default_factory=list)
    board: list[BoardMessage] = field(default_factory=list)
    weibo: list[WeiboPost] = field(default_factory=list)
    forum: list[ForumThread] = field(default_factory=list)

    def ids(self) -> set[str]:
        return (
            {a.id for a in self.news}
            | {m.id for m in self.board}
            | {w.id for w in self.weibo}
            | {f"forum-{t.tid}" for t in self.forum}
        )


# ----------------------------------------------------------------------------- news

NEWS: list[NewsArticle] = [
    NewsArticle(
        "n1001",
        "A3区第二实验小学发生疑似食物中毒事件 23名学生送医观察",
        (
            "{date-1}中午，A3区第二实验小学部分学生在学校食堂用餐后陆续出现腹痛、呕吐、腹泻等症状。"
            "截至当晚8时，共有23名学生被送往A市第一人民医院和A3区人民医院观察治疗，其中2名学生仍在留院观察，"
            "其余学生症状较轻。",
            "事件发生后，A3区教育局、A3区市场监督管理局、A3区卫生健康局第一时间赶赴现场，"
            "对食堂留样食品进行封存送检，并暂停该校食堂供餐，学生午餐改由配餐公司临时供应。",
            "不少家长在校门口等候消息。一位家长说，孩子下午两点多打电话说肚子疼，"
            "“我们最担心的是食材从哪里来、有没有人管。”",
            "A3区政府表示，将根据检测结果依法依规严肃处理，并及时向社会公布调查进展。",
        ),
        age_hours=5,
        author="记者 林晓雯",
        district="A3区",
        keywords=("食物中毒", "学校食堂", "A3区"),
    ),
    NewsArticle(
        "n1002",
        "A3区通报第二实验小学学生身体不适情况：留样送检 食堂停业整顿",
        (
            "A3区人民政府新闻办公室{day}通报：{date-1}，A3区第二实验小学部分学生午餐后出现身体不适，"
            "共23名学生送医，目前21名学生已返家，2名学生留院观察，生命体征平稳。",
            "经初步调查，当日午餐由校内食堂自行加工，区市场监督管理局已对留样食品和食堂环境采样送检，"
            "食堂即日起停业整顿。区疾控中心已开展流行病学调查。",
            "区委区政府高度重视，成立由分管副区长任组长的工作专班，做好学生救治、家长沟通和善后工作。"
            "调查结果将及时向社会公布，对失职失责的将严肃追责问责。",
        ),
        age_hours=2,
        author="A3区新闻办",
        outlet="A3区人民政府网",
        district="A3区",
        keywords=("通报", "食物中毒", "学校食堂"),
    ),
    NewsArticle(
        "n1003",
        "A3区一小学23名学生疑似食物中毒送医",
        (
            "（转载自A市日报）{date-1}中午，A3区第二实验小学部分学生在学校食堂用餐后陆续出现腹痛、呕吐、腹泻等症状。"
            "截至当晚8时，共有23名学生被送往医院观察治疗，其中2名学生仍在留院观察。",
            "A3区教育局、市场监督管理局、卫生健康局已赶赴现场，对留样食品封存送检，并暂停该校食堂供餐。",
            "A3区政府表示，将根据检测结果依法依规严肃处理，并及时公布调查进展。",
        ),
        age_hours=4.5,
        author="综合",
        outlet="湘江晚报网",
        district="A3区",
        repost_of="n1001",
        keywords=("食物中毒", "转载"),
    ),
    NewsArticle(
        "n1004",
        "A5区一在建工地脚手架坍塌 造成2死3伤",
        (
            "{date-2}下午3时许，位于A5区滨江大道的一处在建商业综合体工地发生脚手架坍塌事故，"
            "5名正在作业的工人被困。经全力搜救，5人全部被救出，其中2人经抢救无效死亡，3人受伤送医，伤者暂无生命危险。",
            "事故发生后，A市应急管理局、A市住房和城乡建设局及A5区政府有关负责人赶赴现场处置。"
            "目前，涉事工地已全面停工，事故原因正在调查中。",
            "A市安委办要求全市各在建工地立即开展安全隐患排查，严防类似事故发生。",
        ),
        age_hours=28,
        author="记者 周承宇",
        district="A5区",
        keywords=("坍塌", "安全生产", "伤亡"),
    ),
    NewsArticle(
        "n1005",
        "A市安委办部署建筑施工安全专项整治",
        (
            "针对A5区在建工地脚手架坍塌事故，A市安全生产委员会办公室{day-1}召开全市建筑施工安全生产紧急会议，"
            "部署为期三个月的建筑施工安全专项整治行动。",
            "会议要求，各区、各有关部门要深刻汲取事故教训，重点检查脚手架、深基坑、起重机械等危险性较大的分部分项工程，"
            "对发现的隐患实行清单管理、限期整改。",
        ),
        age_hours=20,
        author="记者 周承宇",
        district=None,
        keywords=("安全生产", "专项整治"),
    ),
    NewsArticle(
        "n1006",
        "A2区数十名农民工聚集讨要被拖欠工资",
        (
            "{date-3}上午，数十名农民工聚集在A2区某住宅项目售楼部前，拉起横幅讨要被拖欠的工资。"
            "据工人反映，他们自去年10月起在该项目从事木工、钢筋工作业，至今仍有约180万元工资未结清。",
            "A2区人力资源和社会保障局劳动保障监察大队接报后到场，约谈项目总承包单位和劳务分包单位负责人，"
            "要求限期拿出支付方案。",
            "工人王师傅说：“家里老人看病、孩子上学都等着这笔钱，我们只想拿回自己的血汗钱。”",
        ),
        age_hours=50,
        author="记者 唐思远",
        district="A2区",
        keywords=("欠薪", "农民工", "讨薪"),
    ),
    NewsArticle(
        "n1007",
        "A6区一养老院被指护理不到位 民政部门介入调查",
        (
            "近日，有市民反映A6区幸福里养老院护理人员不足、老人长期卧床无人翻身导致褥疮，"
            "饭菜质量差且收费不透明。",
            "记者实地走访发现，该养老院现有入住老人86名，护理员仅9名。多名家属表示，曾多次向院方反映问题但未得到改善。",
            "A6区民政局表示已成立调查组进驻该养老院，对护理人员配备、收费标准、消防安全等情况进行全面检查，"
            "将依据调查结果依法处理。",
        ),
        age_hours=30,
        author="记者 许静",
        district="A6区",
        keywords=("养老院", "养老服务"),
    ),
    NewsArticle(
        "n1008",
        "A1区滨河公园改造完工 下周起免费开放",
        (
            "历时八个月的A1区滨河公园提质改造工程日前完工，新增健身步道2.6公里、儿童游乐区两处、公共厕所四座。",
            "公园将于下周一起免费向市民开放，开放时间为每天早上6时至晚上10时。",
        ),
        age_hours=40,
        author="记者 陈一帆",
        district="A1区",
        keywords=("公园", "民生实事"),
    ),
    NewsArticle(
        "n1009",
        "A市调整12条公交线路 方便市民出行",
        (
            "为配合地铁3号线开通运营，A市交通运输局决定自{date+5}起对12条公交线路进行优化调整，"
            "新增接驳线路3条，延长线路4条，撤销重复线路2条。",
            "具体调整方案已在A市交通运输局网站公布，市民可拨打12345热线咨询。",
        ),
        age_hours=60,
        author="记者 刘畅",
        district=None,
        keywords=("公交", "交通"),
    ),
    NewsArticle(
        "n1010",
        "A7区新建农贸市场投入使用",
        (
            "A7区东岭农贸市场正式投入使用，市场共设摊位320个，配备农残快检室和公平秤。",
            "区市场监督管理局表示，将加强对市场食品安全的日常监管，每天公示抽检结果。",
        ),
        age_hours=75,
        author="记者 陈一帆",
        district="A7区",
        keywords=("农贸市场", "食品安全"),
    ),
    NewsArticle(
        "n1011",
        "A市图书馆延长夜间开放时间",
        (
            "自本月起，A市图书馆周二至周日夜间开放时间延长至晚上9时30分，自习室同步延长开放。",
            "图书馆还新增了少儿绘本阅读区和无障碍阅览座位。",
        ),
        age_hours=90,
        author="记者 许静",
        district=None,
        keywords=("图书馆", "公共文化"),
    ),
    NewsArticle(
        "n1012",
        "A4区启动老旧小区改造 惠及居民4200户",
        (
            "A4区今年将改造老旧小区18个，涉及居民4200户，主要内容包括雨污分流、加装电梯、外墙保温和停车位改造。",
            "区住房和城乡建设局表示，改造方案将逐一征求居民意见，施工期间尽量减少对居民生活的影响。",
        ),
        age_hours=100,
        author="记者 唐思远",
        district="A4区",
        keywords=("老旧小区", "住房"),
    ),
    NewsArticle(
        "n1013",
        "A市第一人民医院开通儿科夜间门诊",
        (
            "A市第一人民医院儿科夜间门诊正式开诊，每晚6时至次日8时接诊，缓解夜间儿童看病难问题。",
            "医院提醒家长，可通过医院公众号提前预约挂号。",
        ),
        age_hours=120,
        author="记者 林晓雯",
        district=None,
        keywords=("医院", "就医"),
    ),
    NewsArticle(
        "n1014",
        "A市2024年义务教育招生政策发布",
        (
            "A市教育局发布2024年义务教育阶段招生入学政策，继续实行免试就近入学，严禁以任何形式的考试选拔学生。",
            "网上报名时间为{date+20}至{date+30}，家长可登录A市义务教育招生平台办理。",
        ),
        age_hours=150,
        author="记者 刘畅",
        district=None,
        keywords=("招生", "教育"),
    ),
]


# ----------------------------------------------------------------------------- message board

BOARD: list[BoardMessage] = [
    BoardMessage(
        "b2001",
        "A3区第二实验小学食堂卫生问题谁来管？",
        "王先生",
        "我孩子在A3区第二实验小学上三年级，今天中午在食堂吃饭后上吐下泻，现在还在医院打点滴。"
        "班上好多孩子都是这样。请问学校食堂的食材是谁供应的？平时有没有人检查？希望有关部门尽快调查清楚，给家长一个交代。"
        "我的电话13812345678。",
        age_hours=6,
        status="已回复",
        reply="王先生您好：您反映的情况已收悉。事件发生后，我局会同区市场监督管理局、区卫生健康局第一时间赶赴学校，"
        "对食堂留样食品进行封存送检，并暂停食堂供餐。目前送医学生大部分已返家。调查结果出来后将及时向社会公布，"
        "对失职失责的将依法依规严肃处理。感谢您的监督。",
        reply_unit="A3区教育局",
        reply_after_hours=3,
    ),
    BoardMessage(
        "b2002",
        "A4区丽景苑旁搅拌站夜间施工噪音扰民",
        "李女士",
        "A4区丽景苑小区旁边的混凝土搅拌站每天晚上11点以后还在作业，搅拌车进进出出，噪音非常大，"
        "家里老人孩子整夜睡不好。已经向物业反映多次没有结果，请相关部门管一管。",
        age_hours=70,
        status="已回复",
        reply="李女士您好：经A4区生态环境局执法人员夜间现场检查，该搅拌站存在夜间超时作业情况，"
        "已责令其立即整改，夜间22时至次日6时禁止生产作业，并将持续开展夜间巡查。",
        reply_unit="A4区生态环境局",
        reply_after_hours=52,
    ),
    BoardMessage(
        "b2003",
        "A2区某项目拖欠农民工工资半年多",
        "张师傅",
        "我们一共40多个工人在A2区一个住宅项目干活，从去年10月到现在工资一直没结，老板一直说等开发商付款。"
        "眼看要农忙了，家里等着用钱，恳请政府帮我们讨回工资。",
        age_hours=55,
        status="办理中",
    ),
    BoardMessage(
        "b2004",
        "幸福里养老院护理员太少，老人长了褥疮",
        "陈女士",
        "我母亲住在A6区幸福里养老院，上周去看望发现背上长了褥疮，护理员说一个人要照顾十几个老人，根本忙不过来。"
        "收费每个月四千多，服务却这么差。希望民政部门检查一下。",
        age_hours=34,
        status="已回复",
        reply="陈女士您好：您反映的问题我局高度重视，已成立调查组进驻该养老院，对护理人员配备、服务质量和收费情况进行全面检查，"
        "并责令院方立即对您母亲进行专业护理。检查结果将向您反馈。",
        reply_unit="A6区民政局",
        reply_after_hours=20,
    ),
    BoardMessage(
        "b2005",
        "A1区购买车位被要求捆绑购买储藏室",
        "业主刘先生",
        "A1区伊水家园开发商要求业主买车位必须同时买一间储藏室，否则不卖。请问这种捆绑销售是否合法？",
        age_hours=200,
        status="已回复",
        reply="刘先生您好：经A1区住房和城乡建设局调查，开发商存在捆绑销售行为，已责令其立即停止，"
        "业主可单独购买车位。如仍有问题可拨打12345反映。",
        reply_unit="A1区住房和城乡建设局",
        reply_after_hours=96,
    ),
    BoardMessage(
        "b2006",
        "孩子入学需要准备哪些材料？",
        "一位家长",
        "孩子今年9月上小学，户籍在A7区，租房住在A1区，请问应该在哪个区报名，需要准备哪些材料？",
        age_hours=260,
        status="已回复",
        reply="您好：随迁子女可在居住地所在区报名，需提供户口簿、居住证或租房备案证明等材料，"
        "具体以A1区教育局发布的招生公告为准。",
        reply_unit="A1区教育局",
        reply_after_hours=30,
    ),
    BoardMessage(
        "b2007",
        "A5区滨江大道工地事故后周边工地仍在违规施工",
        "市民赵先生",
        "滨江大道工地出事后，旁边另一个工地的脚手架看起来也很危险，工人没有系安全带，晚上还在赶工。"
        "请有关部门赶紧去查一查，别再出事了。",
        age_hours=18,
        status="未回复",
    ),
    BoardMessage(
        "b2008",
        "建议在A1区滨河公园增设停车位",
        "市民孙女士",
        "滨河公园改造后环境很好，但周末停车很难，建议在公园北门附近增设临时停车位。",
        age_hours=38,
        status="已回复",
        reply="孙女士您好：感谢您的建议，我局将会同交警部门研究在公园周边增设临时停车泊位的可行性。",
        reply_unit="A1区城市管理局",
        reply_after_hours=160,
    ),
]


# ----------------------------------------------------------------------------- weibo

_PARENT = WeiboUser(5001001, "小鱼妈妈爱生活")
_RESIDENT = WeiboUser(5001002, "A市吃货小分队")
_CITY = WeiboUser(5002001, "A市发布", verified=True, followers=820000)
_A3 = WeiboUser(5002003, "A3区发布", verified=True, followers=96000)
_MEDIA = WeiboUser(5003001, "湘江晚报", verified=True, followers=2100000)
_WORKER = WeiboUser(5001003, "搬砖的老王2019")
_NURSE = WeiboUser(5001004, "夕阳红志愿者")
_RUNNER = WeiboUser(5001005, "跑步的阿杰")
_DRIVER = WeiboUser(5001006, "A5区的士哥")

WEIBO: list[WeiboPost] = [
    WeiboPost(
        "4990000000000001",
        _PARENT,
        "#A市A3区# 孩子在学校食堂吃了午饭，下午全班好几个都吐了，现在在医院挂水。学校到现在也没个说法，"
        '家长群里都炸了<span class="url-icon"><img alt="[怒]" src="/face/nu.png"></span>',
        age_minutes=300,
        reposts=156,
        comments=243,
        likes=512,
    ),
    WeiboPost(
        "4990000000000002",
        _RESIDENT,
        "听说A3区第二实验小学二十多个孩子食物中毒送医了，有没有知情的？食堂到底给孩子们吃的什么",
        age_minutes=280,
        reposts=88,
        comments=97,
        likes=160,
    ),
    WeiboPost(
        "4990000000000003",
        _MEDIA,
        "【A3区一小学23名学生疑似食物中毒送医】{day-1}中午，A3区第二实验小学部分学生在食堂用餐后出现腹痛、呕吐等症状，"
        '23名学生被送医观察。目前，当地已封存留样食品送检，暂停食堂供餐。<a href="/n/湘江晚报">@湘江晚报</a>',
        age_minutes=240,
        reposts=1320,
        comments=860,
        likes=2400,
        grouped=True,
    ),
    WeiboPost(
        "4990000000000004",
        _PARENT,
        "转发微博 心疼孩子，必须查清楚！",
        age_minutes=230,
        reposts=3,
        comments=5,
        likes=21,
        retweet_of="4990000000000003",
    ),
    WeiboPost(
        "4990000000000005",
        _A3,
        "【情况通报】{date-1}，A3区第二实验小学部分学生午餐后出现身体不适，共23名学生送医，目前21名学生已返家，"
        "2名学生留院观察，生命体征平稳……",
        age_minutes=120,
        reposts=640,
        comments=1200,
        likes=900,
        long_text="【情况通报】{date-1}，A3区第二实验小学部分学生午餐后出现身体不适，共23名学生送医，目前21名学生已返家，"
        "2名学生留院观察，生命体征平稳。区市场监督管理局已对留样食品和食堂环境采样送检，食堂即日起停业整顿。"
        "调查结果将及时向社会公布，对失职失责的将严肃追责问责。",
    ),
    WeiboPost(
        "4990000000000006",
        _RESIDENT,
        "转发微博 希望这次能给家长一个交代",
        age_minutes=100,
        reposts=0,
        comments=2,
        likes=8,
        retweet_of="4990000000000005",
    ),
    WeiboPost(
        "4990000000000007",
        _WORKER,
        "在A2区干了大半年活，工资一分没拿到，包工头电话也不接了。我们几十个兄弟今天去售楼部讨薪，"
        "希望有人能帮帮我们 #农民工讨薪#",
        age_minutes=60 * 50,
        reposts=410,
        comments=380,
        likes=1200,
    ),
    WeiboPost(
        "4990000000000008",
        _NURSE,
        "今天去A6区幸福里养老院做志愿者，看到有老人身上长了褥疮，护理员说实在忙不过来。养老院的老人也需要被好好对待。",
        age_minutes=60 * 31,
        reposts=230,
        comments=156,
        likes=680,
        grouped=True,
    ),
    WeiboPost(
        "4990000000000009",
        _DRIVER,
        "刚路过A5区滨江大道，工地那边围了好多人，救护车来了好几辆，听说脚手架塌了，有人被压在下面",
        age_minutes=60 * 29,
        reposts=890,
        comments=540,
        likes=760,
    ),
    WeiboPost(
        "4990000000000010",
        _CITY,
        "【A市发布】{date-2}15时许，A5区滨江大道一在建工地发生脚手架坍塌事故，造成2人死亡、3人受伤。"
        "事故原因正在调查中，涉事工地已全面停工。",
        age_minutes=60 * 26,
        reposts=2100,
        comments=1800,
        likes=1500,
    ),
    WeiboPost(
        "4990000000000011",
        _RUNNER,
        '滨河公园的新步道太舒服了，晨跑10公里打卡！A1区这次改造点赞<span class="url-icon"><img alt="[赞]" src="/face/zan.png"></span>',
        age_minutes=60 * 24 * 2 + 30,
        reposts=2,
        comments=6,
        likes=45,
    ),
    WeiboPost(
        "4990000000000012",
        _CITY,
        "【便民】{date+5}起，A市12条公交线路优化调整，新增3条地铁接驳线，具体线路请戳官网。",
        age_minutes=60 * 24 * 5,
        reposts=320,
        comments=40,
        likes=210,
    ),
    WeiboPost(
        "4990000000000013",
        _RESIDENT,
        "A7区新开的东岭农贸市场逛了一圈，菜很新鲜，还有农残快检，好评",
        age_minutes=60 * 24 * 400,
        reposts=1,
        comments=3,
        likes=19,
    ),
]


# ----------------------------------------------------------------------------- forum (social_json)

FORUM: list[ForumThread] = [
    ForumThread(
        7001,
        "第二实验小学的食堂之前就有家长反映过",
        "以前就有家长在群里说饭菜不新鲜，学校说会改进，结果出了这么大的事。",
        "A3老街坊",
        age_hours=4,
        replies=58,
        views=3200,
        likes=120,
    ),
    ForumThread(
        7002,
        "滨江大道工地事故，死者是我们村的",
        "两个遇难的工人都是我们村的，家里上有老下有小，希望能妥善处理后事。",
        "乡里乡亲",
        age_hours=22,
        replies=130,
        views=8800,
        likes=300,
    ),
    ForumThread(
        7003,
        "A1区滨河公园周末人太多了",
        "改造后的公园很漂亮，就是周末停车太难，建议错峰出行。",
        "周末去哪儿",
        age_hours=36,
        replies=12,
        views=640,
        likes=9,
    ),
    ForumThread(
        7004,
        "A2区欠薪的事有进展了吗",
        "听说人社局约谈了总包单位，不知道工人们的钱什么时候能拿到。",
        "路见不平",
        age_hours=26,
        replies=40,
        views=2100,
        likes=66,
    ),
]


# ----------------------------------------------------------------------------- generated mode

_GEN_TOPICS = (
    ("道路维修", "市政部门将对{road}进行路面维修，施工期间请绕行。", "交通运输局"),
    ("社区义诊", "{district}卫生服务中心组织医生走进社区，为居民免费测量血压血糖。", "卫生健康局"),
    ("垃圾分类", "{district}推进垃圾分类示范小区建设，新增分类投放点。", "城市管理局"),
    ("文化活动", "{district}文化馆举办非遗展演，吸引市民驻足观看。", "文化旅游广电局"),
    ("就业招聘", "{district}举办春季招聘会，百余家企业提供岗位。", "人力资源和社会保障局"),
    ("防汛准备", "{district}开展防汛应急演练，检查排涝设施。", "应急管理局"),
)
_ROADS = ("人民路", "建设路", "解放大道", "迎宾路", "湘江路", "芙蓉路", "韶山路")
_FILLER = (
    "据了解，这项工作已纳入今年全市重点民生实事项目。",
    "相关负责人表示，将广泛听取群众意见，确保工作取得实效。",
    "活动现场秩序井然，不少市民表示希望类似活动能够常态化开展。",
    "下一步，{unit}将加强督促检查，推动各项措施落到实处。",
    "市民如有意见建议，可通过12345政务服务便民热线反映。",
    "此前，该项工作已在部分街道试点，取得了良好效果。",
)


def generated_news(count: int, seed: int = 20240512) -> list[NewsArticle]:
    """``count`` ordinary news articles for load tests: varied, neutral, deterministic."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        topic, lead, unit = rng.choice(_GEN_TOPICS)
        district = f"A{rng.randint(1, 7)}区"
        road = rng.choice(_ROADS)
        paragraphs = [lead.format(district=district, road=road)]
        paragraphs += [rng.choice(_FILLER).format(unit=district + unit) for _ in range(rng.randint(4, 8))]
        out.append(
            NewsArticle(
                id=f"g{i:05d}",
                title=f"{district}{topic}工作动态（第{i + 1}期）",
                paragraphs=tuple(paragraphs),
                age_hours=1 + i * 0.25,
                author="通讯员 " + rng.choice(("李明", "王芳", "赵磊", "周婷")),
                outlet="A市融媒体中心",
                district=district,
                keywords=(topic,),
            )
        )
    return out


# Dates in the texts are written relative to the day the site starts ({date-1}: 5月12日 when it starts on the 13th;
# {day}: 13日), so an article published hours ago does not tell of an incident in May.
_DATE_MARK = re.compile(r"\{(date|day)([+-]\d+)?\}")


def fill_dates(text: str, today: date) -> str:
    """``text`` with its {date±N} / {day±N} marks written as the day ``today`` ± N days (M月D日 / D日)."""

    def written(match: re.Match[str]) -> str:
        day = today + timedelta(days=int(match.group(2) or 0))
        return f"{day.month}月{day.day}日" if match.group(1) == "date" else f"{day.day}日"

    return _DATE_MARK.sub(written, text) if "{" in text else text


def dated_catalogue(catalogue: Catalogue, today: date) -> Catalogue:
    """The catalogue with every text's date marks filled in for a site that starts on ``today``."""
    fill = partial(fill_dates, today=today)
    return Catalogue(
        news=[replace(a, paragraphs=tuple(map(fill, a.paragraphs))) for a in catalogue.news],
        board=[replace(m, detail=fill(m.detail), reply=fill(m.reply) if m.reply else m.reply) for m in catalogue.board],
        weibo=[replace(w, text=fill(w.text), long_text=fill(w.long_text) if w.long_text else w.long_text)
               for w in catalogue.weibo],
        forum=[replace(t, message=fill(t.message)) for t in catalogue.forum],
    )


def default_catalogue(generated_pages: int = 0) -> Catalogue:
    return Catalogue(
        news=NEWS + generated_news(generated_pages), board=list(BOARD), weibo=list(WEIBO), forum=list(FORUM)
    )
