"""De-identification of post text and authors before anything is indexed or shown.

Rules: domain.md §6, 个人信息保护法 art. 73 (去标识化), GB/T 35273 (personal information),
GB/T 37964 (de-identification). Every mask keeps the text's length, so a finding's span indexes
the original and the masked text alike and downstream offsets stay valid; masks contain no digit,
letter or Chinese character a rule could match again, so running twice changes nothing more.

Decisions a reviewer should know:
- Names of officials named with their office (张三局长, 李四书记) are kept: they act in a public
  function and the press office must know who is criticised. Private persons are recognised by cues
  (我叫…, 业主…, 姓名：…, a child: 12岁女孩…, …先生/女士/老人, a diagnosis: 诊断为肺癌的…) and by standing right before a phone, ID or
  card number, so a contact line never shows a name with a (partial) ID or phone number. After a kinship word
  (女儿孙悦悦) a name jieba knows as a person's word is still taken as a name, unless a longer word of the dictionary
  begins there (妈妈王府井: a place); after a child word (12岁女孩李娜在…) only when what befell the child follows it or a
  third character of the name (女孩王子轩), as a verb jieba tags so follows often (女孩张开双臂, 男孩康复出院).
  After the other cues (伤者李娜, 居民…) such a word is a name when what the person said or did follows it (反映, 称,
  在, 被 …), and after the cues that precede verbs as often (受害者齐聚, 群众鞠一大躬) every name needs that.
- A self-introduction (我叫…, 我的名字叫做…, 我是…，, 我爸叫…) takes the name up to the next punctuation mark, whatever its
  given characters (喻和平); a name before 的 and a kinship word (我是黄丽华的妈妈) is masked, and so are the names listed
  after a masked one (业主陈**、赵小红等). Surnames more often a word (向, 于, 文) lead a name only after such cues or a
  kinship word (父亲向仍荣在…). Officials named with their office stay here too (李书记的妈妈).
- A surname alone (张先生, 王某, 郑总) is already anonymous and is kept. A name found once is masked
  wherever it recurs in the text. A name with no cue anywhere (张斌建需拆除) is not recognised:
  finding those needs a name tagger, which would cost more than the whole enrichment budget.
- A name after 的 in a sentence that carries the person's masked address, phone or ID is masked when a residence
  phrase leads to it (住在幸福路**号*栋的李建国, 家住…的王芳) or 说/表示/反映 follows it; words of the dictionary stay
  (的孙子说, 的高层反映): on the 4,326 real letters and 2,000 Weibo posts it changed nothing (no such sentence there).
- A name written right after a phone or ID number (13812341234王五是…) is masked too; petitioners named in
  official replies are found by the replies' own words (网民…, 信访人…, 郭某之子…).
- Numbers are found however people write them: 138.1234.5678, 138 - 1234 - 5678, 1 3 8 0 0…, 1  3  8 - 0 0…,
  1 38 00 13 80 00, 一三八…, 138一一一一…, (138)1234-5678, 138～1234～5678, ID numbers in their three parts or with
  the end starred by the writer (what is left is still masked). Digits parted by commas or 、, or grouped as decimals, times or dates (1，3，8…, 13.00——14.00 8.30), are
  a phone number only after a phone cue (电话1，3，8…): without one they are lists.
- E-mail addresses with the @ spelled out are found too: zhangsan(at)example.com always, zhang.san AT example DOT com
  only after an e-mail cue (邮箱…), since "at" between spaces is an English word.
- Every landline with an area code is masked, institutions' numbers included: the text cannot tell
  a home from an office. Short service numbers (12345, 110, 120, 95588) are never touched.

Speed: every pattern starts with a character class or literal so the regex engine skips ahead in C,
look-behinds sit after the first character for the same reason, and the cue words for names are
found by one Aho-Corasick pass (ahocorasick-rs).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from ahocorasick_rs import AhoCorasick, Implementation, MatchKind

from yuqing.contract import LONE_SURROGATE, Post
from yuqing.keyed import keyed_digest
from yuqing.timeparse import real_date

log = logging.getLogger(__name__)

_PSEUDONYM = re.compile(r"u_[0-9a-f]{12}")
_POST_PSEUDONYM = re.compile(r"p_[0-9a-f]{20}")


class Finding(NamedTuple):
    """One masked item: its kind and its [start, end) span (the same in the original and masked text)."""

    kind: str
    span: tuple[int, int]


@dataclass(frozen=True)
class DeidResult:
    """The masked text and what was masked."""

    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


class _Hit(NamedTuple):
    start: int
    end: int
    kind: str
    masked: str


# ---------------------------------------------------------------- numbers and accounts

# A number followed by a unit is an amount or a count, not a phone or card — unless a cue just before it says
# what it is: in "电话13812345678万师傅" 万 is a surname, in "卡号6222…4元" the 元 is a typo.
_AMOUNT_AFTER = re.compile(r"\s*(?:元|块|万|亿|美元|%|％|个|人|次|年|吨|米|平|台|件|户|份|斤|公斤)")
_PHONE_CUE = re.compile(r"电话|手机|联系|致电|拨打|请拨|热线|号码|座机|固话|[Tt]el|TEL")
# Chinese domains too (zhangsan@例子.中国), but only with a Chinese top-level domain that exists, so a Weibo
# mention followed by a full stop (哈哈@小明.我们) is not taken for one. (A Chinese local part, 张三@…, cannot
# be told from the Chinese text written before it, so it is not looked for.)
_EMAIL = re.compile(
    r"[A-Za-z0-9](?<![A-Za-z0-9.%+\-*][A-Za-z0-9])[A-Za-z0-9._%+\-]*"
    r"@(?:[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9\-\u4e00-\u9fff]+(?:\.[A-Za-z0-9\-\u4e00-\u9fff]+)*\.(?:中国|公司|网络|在线|中文网|[A-Za-z]{2,}))"
)
# An address with its @ and dots spelled out so filters miss it (zhangsan(at)example.com, zhang.san AT example DOT com):
# in brackets "at" is nothing else; between spaces it is an English word, so an e-mail cue must come before it.
_AT_SPELLED = re.compile(r"[ \t]*[(\[{（【<][ \t]*(?:at|AT)[ \t]*[)\]}）】>][ \t]*|(?P<spaced>[ \t]+(?:at|AT)[ \t]+)")
_DOT_SPELLED = r"(?:[ \t]*[(\[{（【<][ \t]*(?:dot|DOT)[ \t]*[)\]}）】>][ \t]*|[ \t]+(?:dot|DOT)[ \t]+|\.)"
_LOCAL_PART_BEFORE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*\Z")
_DOMAIN_SPELLED = re.compile(rf"[A-Za-z0-9\-]+(?:{_DOT_SPELLED}[A-Za-z0-9\-]+)*{_DOT_SPELLED}[A-Za-z]{{2,}}(?![A-Za-z0-9])")
# (A title cut short may end in the domain's first word: zhangsan(at)example.)
_DOMAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
_EMAIL_CUE = re.compile(r"邮箱|邮件|信箱|[Ee]-?[Mm]ail|EMAIL|MAIL")
# Written whole or in its three parts (430104 19900101 123X, 430104-19900101-1230).
_ID18 = re.compile(
    r"[1-9](?<![0-9A-Za-z*][1-9])\d{5}[ \-]?((?:18|19|20)\d{2})(\d{2})(\d{2})[ \-]?\d{3}[0-9Xx]"
    r"(?![0-9A-Za-z*])"
)
# After 身份证 its 18 characters in any grouping (4301 0419 9001 0112 34): the three-part form above is the usual one.
_ID_GROUPED = re.compile(r"[1-9](?<![0-9A-Za-z*][1-9])(?:[ \-]?\d){16}[ \-]?[0-9Xx](?![0-9A-Za-z*])")
# The last digits of a number, given with what they belong to (身份证后四位1234, 手机尾号5678): with a name beside
# them they identify a person (domain.md §6: never name + partial ID + phone together); the digits are starred.
_LAST_DIGITS = r"(?:尾号|末尾|[后末][三四五六3-6]位)"  # "the last N digits", as a writer says it
_LAST_DIGITS_SAID = rf"(?:的)?{_LAST_DIGITS}(?:数字|号码|数)?(?:是|为)?"
_PARTIAL_NUMBER = re.compile(
    r"(?P<cue>身份证(?:号码|号)?|证件号码?|手机(?:号码|号)?|电话(?:号码)?|银行卡号?|卡号|账号|帐号)"
    rf"{_LAST_DIGITS_SAID}[：:\s]*"
    r"(?P<num>[0-9]{3,5}[0-9Xx]|[0-9]{2}[0-9Xx])(?![0-9A-Za-z*])"
)
_PARTIAL_HINT = re.compile(_LAST_DIGITS)
# The writer starred part of it and left the rest (身份证430322195601******): what is left is still masked.
_ID_STARRED = re.compile(r"[1-9](?<![0-9A-Za-z*][1-9])\d{5,15}\*{2,}[0-9Xx]{0,4}(?![0-9A-Za-z*])")
_ID15 = re.compile(
    r"[1-9](?<![0-9A-Za-z*][1-9])\d{5}(\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z*])"
)
_BANK = re.compile(r"\d(?<![\d*]\d)\d{3}[ \-]?(?:\d{4}[ \-]?){2}\d{4}(?:[ \-]?\d{1,3})?(?![\d*])")
# Groups split by a space, dash, dot, slash, underscore, tilde or dash run (138-1234-5678, 138.1234.5678,
# 138 - 1234 - 5678, 138—1234—5678, 138/1234/5678, 138～1234～5678); a no-break or ideographic space is folded to a space
# first. The first group may stand in brackets, as an area code does ((138)1234-5678, （138）12345678).
_PHONE_SEP = r"(?: ?[\-.—－–/_～~]{1,3} ?| )?"
_MOBILE = re.compile(rf"1[3-9]\d(?:(?<=[(（]...)[)）] ?|{_PHONE_SEP})(\d{{4}}){_PHONE_SEP}\d{{4}}(?![\d*])")
# Digit by digit or in uneven groups, the separators as they come (1 3 8 0 0…, 1  3  8…, 1-3-8…, 1 38 00 13 80 00,
# 1 3 8 - 0 0 1 3 - 8 0 0 0, 1，3，8，0…): written so to slip past filters; the fourth to seventh digits are starred as
# in 138****1234. A separator is a run of up to three spaces, or up to three marks with spaces around them.
_DIGIT_SEP = r"(?:[ \t]{1,3}|[ \t]{0,3}[\-.．—－–/_，,、]{1,3}[ \t]{0,3})"
_SPACED_MOBILE = re.compile(rf"1{_DIGIT_SEP}?[3-9](?:{_DIGIT_SEP}?\d){{9}}(?!{_DIGIT_SEP}?[\d*])")
# A series of digits and separators reaching back to ``pos``: one more digit before the number means a longer series.
_DIGIT_BEFORE = re.compile(rf"[\d*]{_DIGIT_SEP}?\Z")
# Commas and 、 part lists (公交有19、812、501、213、139…, 8/16，8/20…), a dot or a slash beside two digits writes a
# decimal, a time or a date (13.00——14.00 8.30): digits so written are a phone number only after a phone cue.
_LIST_OR_DECIMAL = re.compile(r"[，,、]|\d\d[ \t]*[.．/]|[.．/][ \t]*\d\d")
# A mobile number written in Chinese numerals (一三八一二三四五六七八, 幺三八…, 壹叁捌…), or in digits and numerals mixed
# (138一一一一二二二二): eleven of them in a row are never anything else.
_CN_NUMERAL = "零〇一二三四五六七八九幺壹贰叁肆伍陆柒捌玖两"
_CN_MOBILE = re.compile(rf"[1一幺壹](?<![0-9{_CN_NUMERAL}][1一幺壹])[3-9三四五六七八九叁肆伍陆柒捌玖][0-9{_CN_NUMERAL}]{{9}}"
                        rf"(?![0-9{_CN_NUMERAL}])")
_COUNTRY_CODE = re.compile(r"(?:\+|00)?86[ \-]?$")
# Area code 0731 / (0731) / +86 731 / 86-10, then a local number of 7-8 digits, possibly split 4+4 or 3+4.
_LANDLINE = re.compile(
    r"(?:(?:(?:\+|00)86[ \-]?|(?<!\d)86[ \-])[(（]?[1-9]\d{1,2}[)）]?[ \-]?|[(（]0\d{2,3}[)）] ?"
    r"|0\d{2,3}(?: ?[\-－—]{1,3} ?| )?)"
    r"([2-9]\d{2,3}(?: ?[\-—－] ?| )?\d{4})(?:[\-－转]\d{1,5})?(?![\d*])"
)
_LOCAL_PHONE = re.compile(r"(?:电话|座机|固话|联系方式|[Tt]el|TEL)[：:\s]*([2-9]\d{2,3}[ \-]?\d{4})(?![\d*])")
_QQ = re.compile(r"(?:[Qq]{2}|扣扣)(?:号码|号)?[：:\s]*([1-9]\d{4,10})(?![\d*])")
_WECHAT = re.compile(
    r"(?:微信[Vv]?号?|[Vv]信号?|加[Vv](?![A-Za-z])|加微信?|(?<![A-Za-z])[Vv](?=[：:])|[Vv][Xx]号?|[Ww][Xx]号?|"
    r"[Ww]e[Cc]hat(?: ?ID)?|抖音号?|快手号?|微博号)[：:\s]*([A-Za-z][\-_A-Za-z0-9]{5,19})(?![\w*])"
)
# Substring tests run at C speed; they decide whether a rule's regex needs to run at all.
_LOCAL_PHONE_CUES = ("电话", "座机", "固话", "联系方式", "Tel", "tel", "TEL")
# What an account rule needs in a text to run at all, as plain words: a pattern whose alternatives begin with a
# character class ([Vv]…) gives the regex engine no first character to skip ahead to.
_WECHAT_CUES = ("微", "v信", "V信", "加v", "加V", "抖音", "快手", "V：", "V:", "v：", "v:",
                *(v + x for v in "VvWw" for x in "Xx"), "Wechat", "WeChat", "wechat", "weChat")
_WECHAT_HINT = re.compile("|".join(_WECHAT_CUES))
_IM_HINT = re.compile("|".join(("Q", "q", "扣扣", *_WECHAT_CUES)))
_ID_CUE = re.compile(r"身份证|证件|身份号")
_CARD_CUE = re.compile(r"卡号|银行卡|账号|帐号|账户|帐户|储蓄卡|信用卡")
_NON_DIGIT = re.compile(r"\D")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def _wechat_hint(text: str) -> bool:
    return _WECHAT_HINT.search(text) is not None


def _id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cue_before(text: str, start: int, cue: re.Pattern[str], width: int = 12) -> bool:
    return cue.search(text, max(0, start - width), start) is not None


def _an_amount(text: str, match: re.Match[str], cue: re.Pattern[str]) -> bool:
    """Whether a number is followed by a unit (an amount or a count) with no cue before it naming it."""
    return _AMOUNT_AFTER.match(text, match.end()) is not None and not _cue_before(text, match.start(), cue)


def _mask_digits(s: str, keep_head: int, keep_tail: int) -> str:
    """Star every digit/letter except the first ``keep_head`` and last ``keep_tail``; separators stay."""
    positions = [i for i, ch in enumerate(s) if ch.isalnum()]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(s))


def _emails(text: str) -> Iterator[_Hit]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        local = m.group(0).split("@", 1)[0]
        yield _Hit(m.start(), m.start() + len(local), "email", local[0] + "*" * (len(local) - 1))


def _spelled_emails(text: str) -> Iterator[_Hit]:
    for m in _AT_SPELLED.finditer(text):
        local = _LOCAL_PART_BEFORE.search(text, max(0, m.start() - 64), m.start())
        if local is None:
            continue
        if m.group("spaced"):
            if _DOMAIN_SPELLED.match(text, m.end()) is None or not _cue_before(text, local.start(), _EMAIL_CUE, 8):
                continue
        elif _DOMAIN_WORD.match(text, m.end()) is None:
            continue
        length = local.end() - local.start()
        yield _Hit(local.start(), local.end(), "email", local.group(0)[0] + "*" * (length - 1))


def _id_cards(text: str) -> Iterator[_Hit]:
    for m in _ID18.finditer(text):
        number = m.group(0)
        cued = _cue_before(text, m.start(), _ID_CUE)
        if not cued and not real_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            continue
        # A valid check digit settles it; a typo in it still leaves a province code and a birth
        # date, which an 18-digit card number has by chance about once in ten thousand. After 身份证 it is one
        # whatever its date says (a mistyped birthday is still someone's number).
        digits = number.replace(" ", "").replace("-", "")
        if cued or number[:2] in _PROVINCE_CODES or (len(digits) == 18 and _id_checksum_ok(digits)):
            yield _Hit(m.start(), m.end(), "id_card", _mask_digits(number, 2, 2))
    for m in _ID_GROUPED.finditer(text):
        if _cue_before(text, m.start(), _ID_CUE):
            yield _Hit(m.start(), m.end(), "id_card", _mask_digits(m.group(0), 2, 2))
    if "**" in text:
        for m in _ID_STARRED.finditer(text):
            number = m.group(0)
            if len(number) > 18:  # 身份证231005198410*******2015年: the digits after the stars are a year
                number = number.rstrip("0123456789Xx")
            if 15 <= len(number) <= 18 and _cue_before(text, m.start(), _ID_CUE):
                yield _Hit(m.start(), m.start() + len(number), "id_card", _mask_digits(number, 2, 0))
    for m in _ID15.finditer(text):
        number = m.group(0)
        if number[:2] in _PROVINCE_CODES and real_date(
            1900 + int(m.group(1)), int(m.group(2)), int(m.group(3))
        ):
            yield _Hit(m.start(), m.end(), "id_card", _mask_digits(number, 2, 2))


def _partial_numbers(text: str) -> Iterator[_Hit]:
    for m in _PARTIAL_NUMBER.finditer(text):
        cue = m.group("cue")
        kind = "id_card" if cue.startswith(("身份", "证件")) else "mobile" if cue.startswith(("手机", "电话")) \
            else "bank_card"
        yield _Hit(m.start("num"), m.end("num"), kind, "*" * (m.end("num") - m.start("num")))


def _bank_cards(text: str) -> Iterator[_Hit]:
    for m in _BANK.finditer(text):
        raw = m.group(0)
        digits = _NON_DIGIT.sub("", raw)
        if _an_amount(text, m, _CARD_CUE):
            continue
        if (digits[0] in "3456" and _luhn_ok(digits)) or _cue_before(text, m.start(), _CARD_CUE):
            yield _Hit(m.start(), m.end(), "bank_card", _mask_digits(raw, 4, 4))


def _after_country_code(text: str, start: int) -> bool:
    """Whether the digits right before a mobile number are a country code (+86 138…, 0086-138…), the only ones that may
    stand there."""
    cc = _COUNTRY_CODE.search(text, max(0, start - 6), start)
    return cc is not None and not (cc.start() > 0 and text[cc.start() - 1].isdigit())


def _mobiles(text: str) -> Iterator[_Hit]:
    for m in _MOBILE.finditer(text):
        start = m.start()
        before = text[start - 1] if start else ""
        if (before and before in "¥￥$+*") or _an_amount(text, m, _PHONE_CUE):  # ("" is in every string)
            continue
        if before.isdigit() and not _after_country_code(text, start):
            continue
        yield _Hit(m.start(1), m.end(1), "mobile", "****")


def _spaced_mobiles(text: str) -> Iterator[_Hit]:
    for m in _SPACED_MOBILE.finditer(text):
        start, number = m.start(), m.group(0)
        if number.isdigit():
            continue  # written whole: _mobiles' case
        if (start and text[start - 1] in "¥￥$") or _an_amount(text, m, _PHONE_CUE):
            continue  # a price or an amount
        if _DIGIT_BEFORE.search(text, max(0, start - 10), start) and not _after_country_code(text, start):
            continue  # one more digit before it: a longer series, not a phone number
        if _LIST_OR_DECIMAL.search(number) and not _cue_before(text, start, _PHONE_CUE, 8):
            continue
        yield _Hit(start, m.end(), "mobile", _mask_digits(number, 3, 4))


def _cn_mobiles(text: str) -> Iterator[_Hit]:
    for m in _CN_MOBILE.finditer(text):
        if not m.group(0).isascii():  # (in digits alone: _mobiles' case)
            yield _Hit(m.start() + 3, m.start() + 7, "mobile", "****")


def _landlines(text: str) -> Iterator[_Hit]:
    for m in _LANDLINE.finditer(text):
        if (m.start() and text[m.start() - 1] in "0123456789*") or _an_amount(text, m, _PHONE_CUE):
            continue
        yield _Hit(m.start(1), m.end(1), "landline", _mask_digits(m.group(1), 0, 4))
    if not any(cue in text for cue in _LOCAL_PHONE_CUES):
        return
    for m in _LOCAL_PHONE.finditer(text):  # a cue precedes these by construction: no amount check
        yield _Hit(m.start(1), m.end(1), "landline", _mask_digits(m.group(1), 0, 4))


# A licence plate (湘A·D12345, 湘AD12345, 粤B 12345): it names the owner to whoever looks it up. At least three
# digits in the serial, so a province's short name before English (新ABCDE) is not one.
_PLATE = re.compile(r"(?:[京津沪渝冀豫云辽黑湘皖鲁苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•・.\- ]?|"
                    r"新[A-HJ-NP-Z][·•・.\- ])"  # 新 (Xinjiang) only with its dot: 新CRV2021款, 新GT3500 are new models
                    r"((?=(?:[A-HJ-NP-Z]*\d){3})[A-HJ-NP-Z0-9]{5,6})(?![A-Za-z0-9*款型版代系])")
# Numbers that identify a person in a record: passport, hospital admission and case numbers, other certificates.
_RECORD_NUMBER = re.compile(r"(?:护照|住院|病历|病案|门诊|就诊卡|医保卡|社保卡|军官证|驾驶证|驾照|学籍|准考证)(?:号码|号)?"
                            r"[：:\s]*([A-Za-z]{0,2}\d{6,18}[A-Za-z]?)(?![A-Za-z0-9_*])")
_RECORD_HINT = re.compile(r"护照|住院|病历|病案|门诊|就诊卡|医保卡|社保卡|军官证|驾驶证|驾照|学籍|准考证")


def _plates(text: str) -> Iterator[_Hit]:
    for m in _PLATE.finditer(text):
        yield _Hit(m.start(1), m.end(1) - 1, "plate", "*" * (m.end(1) - 1 - m.start(1)))


def _record_numbers(text: str) -> Iterator[_Hit]:
    for m in _RECORD_NUMBER.finditer(text):
        yield _Hit(m.start(1), m.end(1), "record_number", _mask_digits(m.group(1), 1, 2))


def _im_accounts(text: str) -> Iterator[_Hit]:
    rules = []
    if "Q" in text or "q" in text or "扣扣" in text:
        rules.append(_QQ)
    if _wechat_hint(text):
        rules.append(_WECHAT)
    for rx in rules:
        for m in rx.finditer(text):
            yield _Hit(m.start(1), m.end(1), "im_account", _mask_digits(m.group(1), 1, 1))


# ---------------------------------------------------------------- street addresses

_NUM = r"(?:\d{1,3}(?:[\-—]\d{1,4}){1,3}|[A-Za-z]\d{1,5}[A-Za-z]?|\d{1,5}[A-Za-z]?|[一二三四五六七八九十百零〇两]{1,4})"
# 号 followed by a time word is a date (5号晚上), and 号线 is a metro line.
_UNIT = r"(?:号楼|号院|号(?![早晚上下中凌夜前后起至到开线左令文])|栋|幢|座|单元|楼|层|室|弄|组)"
# A number range followed by one of these is a size, a count or a drawing's axis (70-119平米, 23-27轴), not a room.
_NOT_ROOM = r"(?!\s*(?:平|米|㎡|元|万|居|厅|人|岁|年|月|日|天|个|轴|期|届|次|名|分|度|%|％))"
# After the units, the room may follow bare: 501, 五零一 (室), or floor-room 2-1502.
_SEQ = (
    rf"(?:第?{_NUM}\s*{_UNIT}\s*[\-—]?\s*)+"
    r"(?:\d{1,3}(?:[\-—]\d{1,4}){1,2}(?![\d*])" + _NOT_ROOM
    + r"|\d{3,4}(?![\d*])|[一二三四五六七八九零〇]{3,4}(?![\u4e00-\u9fff])|[一二三四五六七八九零〇]{3,4}(?=室|房))?"
    r"|\d{1,3}(?:[\-—]\d{1,4}){1,3}(?:室|号)?(?![\d*])" + _NOT_ROOM
)
_ADDRESS_ANCHOR = re.compile(
    r"(?:街道|大道|大街|胡同|小区|花园|公寓|大厦|广场|家园|新村|社区|公馆|路|街|巷|弄|村|屯|苑|园|城|府|庭|湾|郡|墅|阁|院|区)"
    # 段 numbers a stretch of a long road and 期 a phase of an estate: part of the name (劳动东路二段369号)
    rf"(?:[\d一二三四五六七八九十]+[段期])?(?P<seq>{_SEQ})"
)
# 里 names a lane or an estate (幸福里12号, 和平里3栋) — not 这里, 家里, 公里, nor 小区里一栋 or 里三层外三层 (a
# number in digits must follow). Its own pattern, tried only on texts
# with a 里: as one more alternative of the anchor above (a look-behind) it slowed every text by a quarter.
_ADDRESS_LI = re.compile(
    # not after a word that 里 makes "inside" (这个月里, 公司里, 群里, 厂里, 工地里, 食堂里, 停车场里, 合同里) ...
    r"(?<![这那哪家心夜手眼嘴公千万百县城村屋院店校园区月司群厂地堂场同间站车箱柜室楼层所局队组班])里"
    # ... and only before an address: a number and 号 that is no day of the month or numbered thing (15号才发工资,
    # 3号车间, 2号窗口), or a building unit
    r"(?=\d{1,4}\s*(?:号(?![才就发早晚上下中凌夜前后起至到开线左令文车窗条柜机])|栋|幢|单元|弄))"
    rf"(?P<seq>{_SEQ})"
)
_ADDRESS_LI_HINT = re.compile(r"里\d")
# A room: 室, or 房 when it is not the start of another word (房源, 房价, 房产).
_ROOM = r"(?:室|房(?![源价产租贷款屋子间东客主型号补改票地车企交博展]))"
# Building, unit and room numbers identify a home even without a street in front of them.
_NUM_DIGITS = r"(?:[A-Za-z]\d{1,5}[A-Za-z]?|\d{1,5}[A-Za-z]?)"
_ADDRESS_BARE = re.compile(
    rf"(?P<seq>(?:{_NUM_DIGITS}\s*(?:号楼|号栋|栋|幢|单元)\s*)+"
    rf"(?:{_NUM_DIGITS}\s*(?:楼|层|室)|\d{{1,3}}[\-—]\d{{3,4}}(?![\d*])|\d{{3,4}}(?![\d*]))?"
    rf"|(?:\d{{1,5}}号\s*)?\d{{3,4}}{_ROOM})"
)
# A building in Chinese numerals and a room in digits (四栋1702, 一栋405号), and a room number alone before 业主 or
# 住户 (1602业主).
# Both found from their last characters and checked backwards: a pattern that starts with 一…十 or a digit is tried
# at every 一 or digit of a text.
_ADDRESS_CN_BUILDING = re.compile(r"[栋幢楼元]\s*\d{3,4}(?![\d*多余])(?!\s*(?:平|米|㎡|元|万|年|套|户|个|人|名|辆|吨|度|亩|间|%|％))")
_CN_NUMERALS = frozenset("一二三四五六七八九十")
# A lettered block and its room (A座1201, B座 1203): the room 1201 was left when only the house number was masked.
_LETTERED_BLOCK = re.compile(r"(?<![A-Za-z0-9*])[A-Za-z]座\s*\d{3,4}(?![\d*])"
                             r"(?!\s*(?:平|米|㎡|元|万|年|套|户|个|人|名|辆|吨|度|亩|间|%|％))")
# (Two patterns: each has a first character the regex engine skips ahead to, their alternation none.)
_ADDRESS_UNIT = re.compile(r"[号栋幢座单楼层室弄组]")
_ADDRESS_NUMBERED = re.compile(r"\d(?:[\-—]\d|房|业主|住户)")
# Where a bare building/room number can end: found fast, then the full pattern is tried from its start.
_BARE_HINT = re.compile(r"\d\s*(?:号楼|号栋|栋|幢|单元|室|房)")
_COUNT_BEFORE = frozenset("共计有约近余")
_BUILDING_ONLY = re.compile(r"\d{1,5}\s*(?:号楼|号栋|栋|幢)\s*")
_NUMBER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ADDRESS_CHARS = re.compile(r"[0-9A-Za-z一二三四五六七八九十百零〇两]")


# A room listed before another (4002、4003房, 202、401、402房): the unit word follows only the last one.
_ROOM_BEFORE = re.compile(r"(?<![\d*A-Za-z])\d{3,4}\s*[、,，和与及/]\s*$")


def _with_listed_rooms(text: str, start: int) -> int:
    """Where a room span starts once the rooms listed before it are taken in."""
    while start and text[start - 1] in "、,，和与及/ " and text[start].isdigit():
        listed = _ROOM_BEFORE.search(text, max(0, start - 8), start)
        if listed is None:
            break
        start = listed.start()
    return start


def _addresses(text: str) -> Iterator[_Hit]:
    """Both address rules, overlapping finds merged into one span (2—9栋 + 9栋2单元2706)."""
    spans = sorted((_with_listed_rooms(text, start), end) for start, end in _address_spans(text))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        yield _Hit(start, end, "address", _ADDRESS_CHARS.sub("*", text[start:end]))


def _seq_span(start: int, seq: str) -> tuple[int, int] | None:
    seq = seq.rstrip(" -—")
    return (start, start + len(seq)) if seq else None


def _address_spans(text: str) -> Iterator[tuple[int, int]]:
    if not (_ADDRESS_UNIT.search(text) or _ADDRESS_NUMBERED.search(text)):
        return
    lanes = "里" in text and _ADDRESS_LI_HINT.search(text)  # (`in` first: a search per text cost 5 %)
    for anchor in (_ADDRESS_ANCHOR, _ADDRESS_LI) if lanes else (_ADDRESS_ANCHOR,):
        for m in anchor.finditer(text):
            span = _seq_span(m.start("seq"), m.group("seq"))
            if span:
                yield span
    covered = 0
    for hint in _BARE_HINT.finditer(text):
        # Walk back to where the number starts (G2栋: the G), then try the full pattern from there.
        start = hint.start()
        while start > 0 and start > hint.start() - 7 and text[start - 1] in _NUMBER_CHARS:
            start -= 1
        if start < covered or (start and text[start - 1] == "*"):
            continue
        bare = _ADDRESS_BARE.match(text, start)
        # A number of buildings is a count (小区共7栋, 已有9栋楼), unless a room follows (业主有12栋1504).
        if bare and start and text[start - 1] in _COUNT_BEFORE and _BUILDING_ONLY.fullmatch(bare.group("seq")):
            continue
        if bare:
            covered = bare.end()
            span = _seq_span(start, bare.group("seq"))
            if span:
                yield span
    found: list[tuple[int, int]] = []
    for m in _ADDRESS_CN_BUILDING.finditer(text):
        unit = m.start() - (1 if text[m.start()] in "楼元" else 0)
        if text[m.start()] in "楼元" and text[unit : m.start() + 1] not in ("号楼", "单元"):
            continue
        start = unit
        while start > unit - 3 and start and text[start - 1] in _CN_NUMERALS:
            start -= 1
        if start < unit:
            found.append((start, m.end()))
    for owner in ("业主", "住户"):
        at = text.find(owner)
        while at >= 0:
            start = at
            while start > at - 5 and start and text[start - 1].isdigit():
                start -= 1
            if 3 <= at - start <= 4:
                found.append((start, at))
            at = text.find(owner, at + 2)
    for start, end in found:  # (近200住户 is a count)
        if not (start and (text[start - 1] in "0123456789*" or text[start - 1] in _COUNT_BEFORE)):
            yield start, end
    if "座" in text:
        for m in _LETTERED_BLOCK.finditer(text):
            yield m.start(), m.end()


# ---------------------------------------------------------------- names of private persons

_HAN = re.compile(r"[\u4e00-\u9fff]")
# A relative introduced by name (我爸叫文家善，): strong cues, and naming cues as 儿子叫 is.
_RELATIVE_CALLED = tuple(f"{kin}叫" for kin in "我爸 我妈 爸爸 妈妈 父亲 母亲 丈夫 妻子 老公 老婆".split())
# Strong cues are followed by a name almost always (姓名：李四); after weak ones (业主, 村民) a name
# is only taken when it does not read as an ordinary word (业主许可, 居民严重...).
_STRONG_CUES = (
    "我叫 我的名字是 我的名字叫 名字是 名字叫 本人名叫 本人叫 本人姓名 姓名 联系人 投诉人 举报人 反映人 来信人 来电人 来访人 申请人 当事人"
    " 信访人 申诉人 留言人 名叫 孩子叫 儿子叫 女儿叫 我叫做 我的名字叫做 名字叫做 我的真名叫"
    # in police notices and court reports, and how a post names a missing person or a victim
    " 名字： 名字: 受害人 被害人 被告人 犯罪嫌疑人 嫌疑人 失踪人员 走失人员 失联人员 大爷叫 阿姨叫 老人叫 男孩叫 女孩叫"
).split() + list(_RELATIVE_CALLED)
# Children as news names them (12岁女孩王小红, 3岁男童张浩然): minors, the strictest case of domain.md §6. Weak cues, not
# kinship ones: a verb jieba tags as a name follows them often (女孩张开双臂). 女孩子 and 男孩子 so that 孩子 is still
# found inside them (女孩子王小红), where the shorter cue would hide it.
_CHILD_CUES = frozenset("女孩 男孩 女孩子 男孩子 女童 男童 女婴 男婴".split())
# What news says befell a child, right after the child's name (12岁女孩李娜在学校受伤, 8岁男孩李强溺水): a word jieba
# tags as a person's (李娜, 王菲) is then a name, where after the weak cues it is not (女孩张开双臂).
_CHILD_PREDICATE = re.compile(r"被|在|于|因|遭|从|走失|溺水|坠楼|失踪|失联|受伤|身亡|死亡|遇害|去世|离世|患|确诊|获救|送医")
# A third character that follows a verb, not a given name (女孩冷笑着说, 男孩笑道: jieba tags 冷笑 as a name).
_AFTER_A_VERB = frozenset("着地得过道")
_WEAK_CUES = (
    "本人 业主 户主 租户 住户 车主 村民 居民 市民 患者 病人 死者 伤者 遇难者 老人 孩子 儿子 女儿 父亲 母亲 爸爸 妈妈 "
    "丈夫 妻子 老公 老婆 爷爷 奶奶 外公 外婆 学生 家长 职工 员工 工人 农民工 患儿 孕妇 产妇 "
    "我爸 我妈 姐姐 弟弟 妹妹 儿媳 女婿 房东 租客 同事 保姆 护工 司机 外卖员 快递员 现场群众 目击者 知情人 求助人 报警人"
    # A reply names the petitioner (网民郭某某在平台咨询…, 郭某之子郭某某).
    # (我是 was tried: on the real messages it is followed by an estate or a shop — 我是楚熙水郡业主 — more often
    # than by a name.)
    " 网民 网友 之子 之女 之父 之母 之妻 之夫 之孙"
    # (a privacy review, 2026-11-27: the people posts name; on 73,680 real fields a name or an ordinary word follows
    # them, no verb). 环卫工人 so that the cue 工人 inside it is not hidden by the shorter one, 其妻子 for 妻子.
    " 其子 其妻 其妻子 老伯 大爷 阿姨 骑手 环卫工 环卫工人 业主代表 村民代表 店主 新生儿 幼儿 消费者 投资人 博主"
    # (家属 as a cue read 家属齐聚, 家属戴着口罩, 家属边哭边说 as names: see _RELATIVE_SPEAKS.)
).split() + sorted(_CHILD_CUES)
# Left out as cues although names follow them often: 老师, 医生, 护士, 哥哥, 邻居 — on 14,000 real
# messages and posts they were as often followed by a verb that starts with a surname character (老师谈一下,
# 护士乐什么) as by a name.
# 受害者, 群众, 保安 and 考生 read verbs as names too (受害者齐聚, 群众鞠一大躬, 保安查水, 考生练车: real posts), but a
# privacy review found the victims and bystanders posts name left raw (2026-11-27): after these a name is taken only
# when what the person said or did follows it (受害者李娜反映, 群众王丽红称).
_SPEAKING_CUES = frozenset("受害者 群众 保安 保安员 考生".split())
# What a person named in a post says or does, right after the name (伤者李娜反映, 居民王丽红称, 受害者张建华在医院): after a
# weak cue a word jieba tags as a person's (李娜, 王菲) is then a name, and after _SPEAKING_CUES any name is.
_NAME_PREDICATE = re.compile(
    r"反映|称|表示|说|讲|投诉|举报|求助|介绍|告诉|讲述|透露|哭诉|回忆|坦言|质疑|要求|希望|认为|系|是|在|被|向|于|因|对|等|家"
    r"|和|与|及|却|也|都|已|曾|又|还|就|便|打|将|把|到|去|来|从")
# What a named person says, right after a third given character that makes a word with its first character
# (居民刘建国投诉: 国投 is a word, yet 刘建国 is the name, as 投诉 shows; it was masked 刘*国).
_SAYS_AFTER = re.compile(r"反映|投诉|表示|举报|求助|介绍|告诉|透露|哭诉|坦言|称|说")
# 名叫 names places and things too (一座名叫岳麓山的山, 名叫阳光家园的小区): not a person when a place or an
# organisation word follows the name.
_NAMING_CUES = frozenset(("名叫", "孩子叫", "儿子叫", "女儿叫", "大爷叫", "阿姨叫", "老人叫", "男孩叫", "女孩叫",
                          *_RELATIVE_CALLED))
# Cues that introduce a person by name, the writer or a relative (我叫喻和平，, 我的名字叫做余成虎。, 我爸叫文家善，,
# 我是吴艳晓，): the name is all that stands between the cue and the next punctuation mark, so given names of characters
# that are grammar elsewhere (和平) are taken there. Where the cue only names (True) a surname left out of the list
# for being more often a word (文, 向, 于; _AMBIGUOUS_SURNAMES) may lead it; not after 名叫 (学名叫海星虫) nor after
# 我是 and 本人, which are followed by what the writer is as often (我是农民，, 本人无奈，).
_INTRODUCING_CUES = {
    **dict.fromkeys(("我叫", "我叫做", "我的名字是", "我的名字叫", "我的名字叫做", "名字叫做", "我的真名叫", "本人名叫",
                     "本人叫", "本人姓名", "姓名", *_RELATIVE_CALLED), True),
    **dict.fromkeys(("名叫", "我是", "本人"), False)}
# 我是 is such a cue only: as a cue of the other rules it was followed by an estate (我是楚熙水郡业主) more often than
# by a name.
_INTRODUCING_ONLY = frozenset(("我是",))
# What ends a place, a group or a role, not a name (我是武汉人，, 我是金陵镇, 本人劳动者，).
_NOT_A_NAME_END = frozenset("人镇城村区县市省者工户族员")
# The surnames deid_surnames.txt leaves out as more often a function word or the start of a common word (its head
# comment) that are still common surnames: a name led by one is taken only where the cue leaves no doubt (above, and
# after a kinship word: _ambiguous_surname_name_at). (和 and 都 are left out here too: 老公和基友, 哥哥姐姐都会回家.)
_AMBIGUOUS_SURNAMES = frozenset("于向成时单全云安常方文路连")
# What closes a name written up to the next punctuation mark, and what is no part of a given name even there.
_NAME_CLOSES = frozenset("，。,.；;！!？?、：:（()）“”\"‘’ \t\n\u3000")
_NOT_IN_A_NAME = frozenset("的了们我你您他她它这那是在有")
# A name stands before 的 and a kinship word (我是黄丽华的妈妈, 吴根福的弟弟): the writer or a relative, named by the
# relation. Before the name a clause begins or a function word stands (是, 和, 在 …): a word that ends there
# (玩手游成瘾的孩子, 二手房业主的孩子) is what the relative is, not a name.
_KIN_AFTER_NAME = frozenset("妈妈 爸爸 父亲 母亲 孩子 儿子 女儿 家长 丈夫 妻子 老公 老婆 爷爷 奶奶 外公 外婆 哥哥 姐姐 弟弟 妹妹".split())
_BEFORE_A_NAME = frozenset("是和与及跟同在了为到对给把被让向找见做看后年时")
# After 儿子叫 a verb is as likely as a name (儿子叫车送医院, 孩子叫醒了): these first characters are not taken.
_CALLED_NOT_NAMED = frozenset("车醒人来去骂喊唤嚷好")
# A relative named after 家属 when the name is followed by what they said or asked (其家属王建国求助); as a cue of
# its own 家属 read 家属齐聚, 家属戴着口罩 as names.
_RELATIVE_SPEAKS = re.compile(
    r"家属[：:\s]*(?![们都也一边纷齐])([\u4e00-\u9fff]{2,3}?)(?:求助|表示|称|说|反映|介绍|告诉|讲述|透露|哭诉|回忆)")
_A_PLACE_NAMED = re.compile(
    r"(?:家园|花园|小区|广场|大厦|公园|景区|古镇|山庄"
    r"|的(?:山|河|湖|江|村|镇|乡|街|路|巷|小区|家园|花园|公园|广场|大厦|地方|公司|企业|店|餐厅|饭店|酒店|超市|商场|学校|"
    r"医院|楼盘|项目|平台|网站|品牌|产品|机构|协会|景区|遗址|古镇|社区))"
    # ... unless a person of that place follows (一名叫李明的学校老师, 名叫陈亮的项目经理, 名叫张国庆的村干部)
    r"(?![\u4e00-\u9fff]{0,3}?(?:老师|教师|护士|医生|员工|工作人员|职工|收银员|服务员|前台|经理|干部|主任|保安|司机|"
    r"学生|患者|家长|工人|店主|老板|厨师|书记|会计|负责人))"
)
# After a kinship word a name jieba knows as a person's (孙悦, 王菲) is still a relative's name (女儿孙悦悦): these cues
# read a pair tagged as a name the way strong cues do — but not where a longer word of the dictionary begins (妈妈王府井
# is a place, 妈妈高峰期 a time: jieba tags 王府 and 高峰 as names too), unless it is a rare one (赵国旺 3, a name), nor
# where a grandchild follows a grandparent (爷爷孙女二人).
_KINSHIP_CUES = frozenset(
    "儿子 女儿 父亲 母亲 爸爸 妈妈 丈夫 妻子 老公 老婆 爷爷 奶奶 外公 外婆 我爸 我妈 姐姐 弟弟 妹妹 儿媳 女婿".split())
_GRANDCHILD = ("孙子", "孙女", "孙儿")
# A person told by their diagnosis (诊断为肺癌的张丽, 查出肝癌的李建国): health data beside a name (domain.md §6).
# The cue, then up to twelve characters of illness before the 的 that leads to the name.
_DIAGNOSED = re.compile(r"(?:诊断为|诊断出|确诊为|确诊|患有|患上|罹患|查出)")
_DIAGNOSIS_ENDS = frozenset("，。,.；;！!？?、：:（）()“”\"\n ")
_STRONG_TITLES = "先生 老先生 女士 小姐".split()
_WEAK_TITLES = "老人 老太 老太太 老汉 大爷 大妈 阿姨 师傅 同学 夫妇 之子 之女 之父 之母 之妻 之夫 之孙".split()
# Surname and office (张主任, 王经理, 李局长) is no name: it stays, as a surname with 先生 does.
_OFFICES = frozenset(
    "主任 局长 科长 处长 所长 站长 校长 院长 队长 组长 村长 镇长 乡长 县长 市长 省长 部长 书记 经理 老板 总监 主管 会计 律师 "
    "老师 医生 护士 警官 干部 厂长 社长 行长 董事 总经".split()
)
# 任 is a surname and "to serve as": 25岁女孩任医院副院长 (a review, 2026-11-27) is a post, not a name, when an office
# follows within a few characters.
_TAKES_OFFICE = re.compile(r"任[^，。；;！!？?、\s]{0,6}?(?:" + "|".join(sorted(_OFFICES | {"董事长", "总裁", "支书", "委员",
                                                                                           "主席", "秘书长", "班长"}, key=len, reverse=True)) + ")")
# An office of a government body written before a name with 先生 (县委书记沈某某先生, 三亚市市长王某先生,
# 副巡视员袁某先生): an official, kept as 张三局长 is. The office must follow its body's mark (市, 县委, 局 …):
# 班主任, 车间主任, 业委会委员 and 施工队长 name private persons (a review of the first version, 2026-11-27).
_OFFICE_BEFORE = re.compile(
    # offices only a government has, on their own (市长王某先生, 副县长…, 公安局长…); not 小区长, 校区长
    r"(?:(?:常务)?副)?(?:市长|县长|(?<![小校社景园营])区长|省长|州长|镇长|乡长|局长|厅长|巡视员|调研员|新闻发言人|发言人)$|"
    # offices any body has, after a government body's mark (县委书记, 局党组书记, 市政府办主任); not 项目组主任
    r"(?:[省市县区镇乡局委厅部办院处科所室府]|党组)(?:(?:常务)?副)?"
    r"(?:书记|处长|科长|所长|部长|主任|主席|委员|秘书长|院长|站长)$")
# A cue inside a longer word is no cue: 行业主管, 企业主, 公交车主管部门, 妇女儿童.
_CUE_NOT_AFTER = {"业主": "行企林物农工商产专就创失作事", "车主": "交货汽电火客列", "女儿": "妇"}
# Nor is one that begins a longer word: 新老公司 (老公 + 司).
_CUE_NOT_BEFORE = {"老公": "司", "患儿": "童"}  # (患儿童先天性心脏病: 患 + 儿童)
_CUE_TAIL = frozenset("：: \t\u3000")
_TITLE_WORDS = frozenset(_STRONG_TITLES + _WEAK_TITLES)
# Characters that end a name: they begin the next word or are grammar, not a given name.
_NOT_GIVEN = frozenset(
    "的了是在和与及或等也都就又还已曾将把被对从向于为因称说讲表反投举打来去要想现今昨前后年月日岁某们这那此其个位名你您他她"
    "家住告诉到给让请找问所以而但却即便如若"
)
_CONTACT_CUE = re.compile(
    r"([\u4e00-\u9fff]{2,4}?)[\s,，:：、(（]*(?:的)?(?:联系电话|联系方式|电话号码|手机号码|手机号|手机|电话|身份证号码|"
    rf"身份证号|身份证|卡号|号码)?(?:的)?{_LAST_DIGITS}?(?:数字|号码|数)?(?:是|为)?[\s:：]*$"
)


def _resource(name: str) -> str:
    return resources.files("analysis.resources").joinpath(name).read_text(encoding="utf-8")


@cache
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    lines = [ln.strip() for ln in _resource("deid_surnames.txt").splitlines()]
    names = [ln for ln in lines if ln and not ln.startswith("#")]
    return frozenset(n for n in names if len(n) == 1), frozenset(n for n in names if len(n) == 2)


class _Cue(NamedTuple):
    word: str
    prefix: bool  # a name follows (业主张三)
    prefix_strong: bool
    title: bool  # a name precedes (张三先生)
    title_strong: bool
    kin_after_name: bool  # a name and 的 precede (黄丽华的妈妈)


@cache
def _cue_automaton() -> tuple[AhoCorasick, list[_Cue]]:
    """Every cue word in one automaton, so one native pass finds them all (老人 is both kinds)."""
    cues = [
        _Cue(
            word,
            prefix=word in _STRONG_CUES or word in _WEAK_CUES or word in _SPEAKING_CUES or word in _INTRODUCING_ONLY,
            prefix_strong=word in _STRONG_CUES,
            title=word in _TITLE_WORDS,
            title_strong=word in _STRONG_TITLES,
            kin_after_name=word in _KIN_AFTER_NAME,
        )
        for word in sorted({*_STRONG_CUES, *_WEAK_CUES, *_SPEAKING_CUES, *_STRONG_TITLES, *_WEAK_TITLES,
                            *_KIN_AFTER_NAME, *_INTRODUCING_ONLY})
    ]
    # A DFA, asked for by name: left to choose, the library switches to a slower automaton past 100 words (one more
    # cue made every text a sixth slower to de-identify).
    return AhoCorasick([c.word for c in cues], matchkind=MatchKind.LeftmostLongest,
                       implementation=Implementation.DFA), cues


# A place or person name of jieba's dictionary rarer than this is no word to stop a name at (梁国, 康国).
RARE_WORD_FREQUENCY = 20
# The lengths of the longer dictionary words a name after a kinship word may not begin (see _KINSHIP_CUES).
_LONGER_WORD = (3, 5)


@cache
def _dictionary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Two-character words of jieba's dictionary (高中, 毕业, 许可, 反映...), those tagged as names, and the longer
    words of three to five characters that are not rare (王府井, 高峰期, 许可证; ``_LONGER_WORD``).

    Only the dictionary file is read (no segmentation), once per process. jieba tags many ordinary
    words as names (许可, 陈述), so after a weak cue any dictionary word counts as "not a name";
    after a strong cue only words not tagged as names do (联系人：李四 is masked, 投诉人解释 is not).
    """
    import jieba  # only to locate the dictionary file bundled with the package

    words, names, rare, longer = set(), set(), set(), set()
    path = Path(jieba.__file__).with_name("dict.txt")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts[0]) != 2:
                if _LONGER_WORD[0] <= len(parts[0]) <= _LONGER_WORD[1] and int(parts[1]) >= RARE_WORD_FREQUENCY:
                    longer.add(parts[0])
            else:
                words.add(parts[0])
                if len(parts) == 3 and parts[2].startswith("nr"):
                    names.add(parts[0])
                # A rare place or person name is no word to stop a name at: 梁国 14, 康国 2, 黄国 2 (old states)
                # left 联系人：梁国建 and 户主康国斌 unmasked beside their phone numbers. (Rare words of every kind
                # masked 班费, 党费 and 申领 too.)
                if int(parts[1]) < RARE_WORD_FREQUENCY and parts[2:3] and parts[2].startswith(("ns", "nr")):
                    rare.add(parts[0])
    extra = [ln.strip() for ln in _resource("deid_not_names.txt").splitlines()]
    extra = [w for w in extra if w and not w.startswith("#")]
    words.update(extra)
    return (frozenset(words.difference(rare.difference(extra))), frozenset(names.difference(extra)),
            frozenset(longer))


def _is_word(pair: str, strong: bool) -> bool:
    """Whether a surname-led pair reads as an ordinary word rather than the start of a name."""
    words, names, _ = _dictionary()
    return pair in words and not (strong and pair in names)


def _name_at(text: str, i: int, strong: bool = False) -> int:
    """Length of a private person's full name starting at ``i`` (surname + 1–2 given chars), or 0."""
    single, compound = _surnames()
    words = _dictionary()[0]
    if text[i : i + 2] in compound:
        surname = 2
    elif i < len(text) and text[i] in single:
        surname = 1
    else:
        return 0
    if surname == 1 and _TAKES_OFFICE.match(text, i):
        return 0
    if text[i + surname : i + surname + 1] == "总":  # 郑总, 王总: a surname and a title ("boss"), already anonymous
        return 0
    given = 0
    j = i + surname
    while given < 2 and j < len(text) and _HAN.match(text[j]) and text[j] not in _NOT_GIVEN:
        # The character starts the next word (业主张三反映 → 张三 | 反映), a title (张先生) or an office (张主任).
        pair = text[j : j + 2]
        if ((given == 1 and pair in words and not _SAYS_AFTER.match(text, j + 1)) or pair in _TITLE_WORDS
                or pair in _OFFICES):
            break
        given += 1
        j += 1
    if given == 0:
        return 0
    # 业主管部门: the cue's last character and the next one make a word, so no name follows.
    if surname == 1 and (_is_word(text[i : i + 2], strong) or text[i - 1 : i + 1] == "主管"):
        return 0
    return surname + given


def _suffix_name(text: str, end: int, strong: bool) -> int:
    """Start of a full name that ends right before a title such as 先生 (``-1`` if none)."""
    single, compound = _surnames()
    words = _dictionary()[0]
    for length in (4, 3, 2):
        start = end - length
        if start < 0:
            continue
        cand = text[start:end]
        if not all(_HAN.match(ch) for ch in cand) or any(ch in _NOT_GIVEN for ch in cand[1:]):
            continue
        if cand[:2] in compound:
            if length > 2:
                return start
            continue
        # The surname must not end the word before it (感谢陶先生 is 感谢 + 陶先生).
        if (
            length < 4
            and cand[0] in single
            and not _is_word(cand[:2], strong)
            and text[start - 1 : start + 1] not in words
        ):
            return start
    return -1


def _longer_word_at(text: str, i: int) -> bool:
    """Whether a dictionary word of three to five characters, not a rare one, begins at ``i`` (王府井, 高峰期)."""
    longer = _dictionary()[2]
    return any(text[i : i + n] in longer for n in range(_LONGER_WORD[0], _LONGER_WORD[1] + 1))


def _child_name_at(text: str, i: int) -> int:
    """Length of a child's name at ``i`` that begins with a word jieba tags as a person's (12岁女孩李娜在…, 男孩李强溺水,
    女孩王子轩), or 0: followed by what befell the child, or with a third character that begins no word and is no
    particle; not where a longer word begins (男孩王府井). Other tagged words stay (女孩张开双臂, 男孩康复出院)."""
    length = _name_at(text, i, True)
    if length < 2 or _longer_word_at(text, i):
        return 0
    if _CHILD_PREDICATE.match(text, i + 2):
        return 2
    return 3 if length == 3 and text[i + 2] not in _AFTER_A_VERB else 0


def _speaking_name_at(text: str, i: int) -> int:
    """Length of a name at ``i`` followed by what the person said or did (伤者李娜反映, 群众王丽红称), or 0; not where a
    longer word of the dictionary begins (居民王府井)."""
    length = _name_at(text, i, True)
    if length < 2 or _longer_word_at(text, i) or text[i : i + 2] in _TITLE_WORDS:  # (司机师傅和: jieba tags 师傅)
        return 0
    for n in (length, 2) if length == 3 and text[i + 2] not in _AFTER_A_VERB else (2,):
        if _NAME_PREDICATE.match(text, i + n):
            return n
    return 0


def _mask_name(text: str, start: int, end: int) -> _Hit:
    _, compound = _surnames()
    keep = 2 if text[start : start + 2] in compound else 1
    return _Hit(start, end, "name", text[start : start + keep] + "*" * (end - start - keep))


def _names(text: str) -> Iterator[_Hit]:
    automaton, cues = _cue_automaton()
    for index, start, end in automaton.find_matches_as_indexes(text):
        cue = cues[index]
        if (start and text[start - 1] in _CUE_NOT_AFTER.get(cue.word, "")) or (
                end < len(text) and text[end] in _CUE_NOT_BEFORE.get(cue.word, "")):
            continue
        if cue.prefix:
            j = end
            while j < len(text) and text[j] in _CUE_TAIL:
                j += 1
            kinship = cue.word in _KINSHIP_CUES
            only_introduces = cue.word in _INTRODUCING_ONLY
            length = 0 if cue.word in _SPEAKING_CUES or only_introduces else _name_at(
                text, j, cue.prefix_strong or kinship)
            if cue.word in _INTRODUCING_CUES and not (start and text[start - 1] == "@"):  # (@我叫方放: a handle)
                length = max(length, _introduced_name_at(text, j, _INTRODUCING_CUES[cue.word]))
            if not length and (kinship or cue.prefix_strong):
                length = _ambiguous_surname_name_at(text, j)
            if not length and cue.word in _CHILD_CUES:
                length = _child_name_at(text, j)
            if not length and not cue.prefix_strong and not only_introduces:
                length = _speaking_name_at(text, j)
            if kinship and length and (_longer_word_at(text, j) or text.startswith(_GRANDCHILD, j)):
                continue
            if length and not (cue.word in _NAMING_CUES and (_A_PLACE_NAMED.match(text, j + length)
                                                                or (cue.word != "名叫" and text[j] in _CALLED_NOT_NAMED))):
                yield _mask_name(text, j, j + length)
        if cue.title:
            begin = _suffix_name(text, start, cue.title_strong)
            if begin >= 0 and not _OFFICE_BEFORE.search(text, max(0, begin - 6), begin):
                yield _mask_name(text, begin, start)
        if cue.kin_after_name and start > 2 and text[start - 1] == "的":
            begin = _suffix_name(text, start - 1, False)
            # (not in a Weibo handle: @冯抱抱的爸爸 is a screen name, as the module leaves @李沫M; nor a surname and an
            # office or a title, 李书记的妈妈, 王老师的孩子: already no name, and an official is named in office). Two
            # characters at a clause's start are as often a school or a place (周南的孩子: 周南中学): a function word
            # must stand before them (我是黄丽的妈妈).
            clause_start = begin == 0 or (not _HAN.match(text[begin - 1]) and text[begin - 1] != "@")
            if begin >= 0 and ((clause_start and start - 1 - begin > 2) or text[begin - 1 : begin] in _BEFORE_A_NAME) \
                    and text[begin + 1 : start - 1] not in _OFFICES and text[begin + 1 : start - 1] not in _TITLE_WORDS \
                    and not _OFFICE_BEFORE.search(text, max(0, begin - 6), begin):
                yield _mask_name(text, begin, start - 1)


def _introduced_name_at(text: str, i: int, naming: bool) -> int:
    """Length of a name at ``i`` that runs to the next punctuation mark or the end (我叫喻和平，), or 0. After a cue
    that only names (``naming``) an ambiguous surname may lead it (我叫文凌，); after the others (我是, 本人) it must
    not begin with a word (我是农民，, 本人申请，) and a comma or a bracket must close it (我是米粉！, 我是朱克洋！: a
    fan, a quip)."""
    single, compound = _surnames()
    if text[i : i + 2] in compound:
        surname = 2
    elif i < len(text) and (text[i] in single or (naming and text[i] in _AMBIGUOUS_SURNAMES)):
        surname = 1
    else:
        return 0
    if not naming and surname == 1 and _is_word(text[i : i + 2], True):
        return 0
    closes = _NAME_CLOSES if naming else _CLAUSE_GOES_ON
    for length in (surname + 1, surname + 2):
        end = i + length
        if end > len(text) or not _HAN.match(text[end - 1]) or text[end - 1] in _NOT_IN_A_NAME:
            return 0
        if (naming and end == len(text)) or (end < len(text) and text[end] in closes):
            return 0 if text[end - 1] in _NOT_A_NAME_END else length
    return 0


_CLAUSE_GOES_ON = frozenset("，,（(")


def _ambiguous_surname_name_at(text: str, i: int) -> int:
    """Length of a three-character name at ``i`` led by an ambiguous surname (父亲向仍荣在…), or 0: taken when no two of
    its characters make a word (父亲向政府反映, 妻子公派), none is grammar, 向 leads no name (受害人向毛骏反映: to
    whom), and a punctuation mark or what the person did follows."""
    name = text[i : i + 3]
    if len(name) < 3 or name[0] not in _AMBIGUOUS_SURNAMES or not all(_HAN.match(ch) for ch in name[1:]) or any(
            ch in _NOT_GIVEN or ch in _NOT_IN_A_NAME for ch in name[1:]):
        return 0
    if name[0] == "向" and name[1] in _surnames()[0]:
        return 0
    words = _dictionary()[0]
    if name[:2] in words or name[1:] in words or _longer_word_at(text, i) or _longer_word_at(text, i + 1):
        return 0
    after = i + 3
    return 3 if after == len(text) or text[after] in _NAME_CLOSES or _NAME_PREDICATE.match(text, after) else 0


# "王建国（男，12岁）", "失踪人员王建国，男，12岁": a name followed by a sex, as police notices and case reports write.
_SEX_AFTER_NAME = re.compile(r"[（(，,]\s*[男女]\s*[，,、)）]")


def _names_before_sex(text: str) -> Iterator[_Hit]:
    for m in _SEX_AFTER_NAME.finditer(text):
        begin = _suffix_name(text, m.start(), True)
        if begin >= 0 and text[begin + 1 : m.start()] not in _TITLE_WORDS and not _OFFICE_BEFORE.search(
                text, max(0, begin - 6), begin):  # (何同学（女）: a surname and a title, already no name)
            yield _mask_name(text, begin, m.start())


def _diagnosed(text: str) -> Iterator[_Hit]:
    for m in _DIAGNOSED.finditer(text):
        for at in range(m.end(), min(m.end() + 13, len(text))):
            if text[at] in _DIAGNOSIS_ENDS:
                break
            if text[at] == "的":
                length = _name_at(text, at + 1)
                if length:
                    yield _mask_name(text, at + 1, at + 1 + length)
                    break


def _relatives(text: str) -> Iterator[_Hit]:
    for m in _RELATIVE_SPEAKS.finditer(text):
        # (what the relative said follows: a word jieba tags as a person's is a name, as after a kinship word)
        if _name_at(text, m.start(1), True) == len(m.group(1)) and not _longer_word_at(text, m.start(1)):
            yield _mask_name(text, m.start(1), m.end(1))


def _names_beside(text: str, hits: list[_Hit]) -> Iterator[_Hit]:
    """Names written right before a phone, ID or card number (张三 13812341234, 王五，身份证…), or right after
    one (13812341234王五是…, 电话13812341234（王五）)."""
    for hit in hits:
        if hit.kind not in {"mobile", "landline", "id_card", "bank_card"}:
            continue
        after = _NAME_AFTER_NUMBER.match(text, hit.end)
        if after:
            start = after.end()
            length = _name_at(text, start)
            end = start + length
            if length >= 2 and (end == len(text) or not _HAN.match(text[end]) or text[end] in _NOT_GIVEN):
                yield _mask_name(text, start, end)
        number_start = hit.start if hit.kind in {"id_card", "bank_card"} else _number_start(text, hit.start)
        m = _CONTACT_CUE.search(text, max(0, number_start - 16), number_start)
        if not m:
            continue
        chars = m.group(1)
        words = _dictionary()[0]
        for length in (3, 2):
            start = m.start(1) + len(chars) - length
            # 值班室电话: 班 closes 值班, so 班室 is no name.
            if start < m.start(1) or text[start - 1 : start + 1] in words:
                continue
            if _name_at(text, start) == length:
                yield _mask_name(text, start, start + length)
                break


# A private person named beside their masked address, phone or ID in one sentence, by where they live (住在幸福路**号*栋的
# 李建国, 家住…的王芳) or by what they said (…的李建国说): a full name after 的 (surname + one or two given characters, no
# word, title or office), the residence phrase in the same clause before it. Without masked personal data in the
# sentence no name is taken (住在A小区的张三 alone: the module finds names by cues, and these are none).
_RESIDENCE = re.compile(r"住在|家住")
_SAID_AFTER_NAME = re.compile(r"说|表示|反映")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_CLAUSE_MARKS = "，,。！？!?；;：:\n"


def _names_of_residents(text: str, hits: list[_Hit]) -> Iterator[_Hit]:
    """Names after 的 beside masked personal data (above): the address and phone masked, the name beside them was not."""
    data = [h for h in hits if h.kind != "name"]
    start = 0
    while start < len(text):
        end_mark = _SENTENCE_END.search(text, start)
        end = end_mark.end() if end_mark else len(text)
        if any(h.start < end and h.end > start for h in data):
            at = text.find("的", start, end)
            while at >= 0:
                j = at + 1
                length = _name_at(text, j)
                if length >= 2 and not _longer_word_at(text, j):
                    after = j + length
                    clause = max(text.rfind(mark, start, at) for mark in _CLAUSE_MARKS) + 1
                    resident = _RESIDENCE.search(text, max(clause, start), at) is not None and (
                        after == len(text) or text[after] in _NAME_CLOSES or _NAME_PREDICATE.match(text, after))
                    if resident or _SAID_AFTER_NAME.match(text, after):
                        yield _mask_name(text, j, after)
                at = text.find("的", j, end)
        start = end


# From the end of a masked number past its last digits and a bracket to where a name would begin (after a comma
# the next clause begins: 电话13812345678，江背镇…).
_NAME_AFTER_NUMBER = re.compile(r"[\dXx*]*[ \t]*[(（/]?[ \t]*")


# What joins the names of a list (业主陈**、赵小红, 投诉人：蒋**、陈歌、李菲) and what may close a listed name.
_LIST_JOINS = frozenset("、和及与")
_LISTED_NAME_CLOSES = _NAME_CLOSES | _LIST_JOINS | {"等"}


def _names_listed(text: str, hits: list[_Hit]) -> Iterator[_Hit]:
    """The names listed after one found (业主陈**、赵小红等30户): the cue stands before the first name only. A listed
    name is one that a list mark, a punctuation mark or 等 closes, so 王**和物业, 张**与A市 are no lists of names."""
    for hit in [h for h in hits if h.kind == "name"]:
        end = hit.end
        while end < len(text) - 2 and text[end] in _LIST_JOINS:
            start = end + 1
            length = _name_at(text, start, True)
            if not (length and (start + length == len(text) or text[start + length] in _LISTED_NAME_CLOSES)):
                break
            yield _mask_name(text, start, start + length)
            end = start + length


def _names_repeated(text: str, hits: list[_Hit]) -> Iterator[_Hit]:
    """Every other occurrence of a name found once (村民杨永 … 杨永家门口): a cue appears only once. Longer names go
    first (周某武 before 周某): in a set's order, which changes with the hash seed, a run could mask 周某 and leave 武."""
    for name in sorted({text[h.start : h.end] for h in hits if h.kind == "name"}, key=lambda n: (-len(n), n)):
        start = text.find(name)
        while start >= 0:
            yield _mask_name(text, start, start + len(name))
            start = text.find(name, start + len(name))


def _longest_names(text: str, hits: list[_Hit]) -> list[_Hit]:
    """A name found short by one rule and whole by another (周南 by a cue, 周南武 before ，男) is masked whole wherever
    it begins: the first hit took the place and left 武 visible."""
    names = sorted({text[h.start : h.end] for h in hits if h.kind == "name"}, key=lambda n: (-len(n), n))
    if len(names) < 2:
        return hits
    # (The longest name at a hit's start, looked up by length: a list of thousands of names made a scan of all names
    # per hit take 10 s on 30,000 characters.)
    known, lengths = set(names), sorted({len(n) for n in names}, reverse=True)
    out = []
    for hit in hits:
        if hit.kind == "name":
            longer = next((n for length in lengths if length > hit.end - hit.start
                           and (n := text[hit.start : hit.start + length]) in known), None)
            if longer is not None:
                hit = _mask_name(text, hit.start, hit.start + len(longer))
        out.append(hit)
    return out


def _number_start(text: str, pos: int) -> int:
    """Walk back from a masked middle part to where the whole phone number starts."""
    while pos > 0 and (text[pos - 1].isdigit() or text[pos - 1] in "+-－— ()（）"):
        pos -= 1
    return pos


# ---------------------------------------------------------------- the public API

# IDs, bank cards, mobiles and landlines have seven or more digits in a run that spaces, dashes or dots may
# split; a text without such a run (a year, a date, a count) skips their rules.
_LONG_NUMBER = re.compile(r"\d[\d \-－—–./_～~]{5,}\d")  # (every separator _PHONE_SEP allows)
# A mobile number spaced out may be parted by commas, 、 or tabs too, which this test does not look for: its own rule
# runs on every text with a 1 (a search for such a series cost three times that rule, which fails on the second
# character).
# In priority order: an ID may look like a card, a card like a phone number.
_LONG_NUMBER_DETECTORS: tuple[Callable[[str], Iterator[_Hit]], ...] = (
    _id_cards, _bank_cards, _mobiles, _spaced_mobiles, _landlines)


# Full-width ASCII (１３８, ＡＢ, ＠) folded to ASCII, and no-break and ideographic spaces (from &nbsp;) to a space, one
# character for one, so positions stay put.
# Only when a full-width letter, digit or @ is present: full-width punctuation is in almost every
# Chinese text and the rules accept it as it is.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
_NEEDS_FOLD = re.compile(r"[０-９Ａ-Ｚａ-ｚ＠\u3000\u00a0]")




_ID_DIGIT = re.compile(r"[0-9Xx]")


def deidentify(text: str) -> DeidResult:
    """Mask personal information in ``text``; idempotent and length-preserving (a lone surrogate comes back
    as U+FFFD)."""
    if not text:
        return DeidResult(text, [])
    if LONE_SURROGATE.search(text):
        text = LONE_SURROGATE.sub("\ufffd", text)
    original = text
    if _NEEDS_FOLD.search(text):
        text = text.translate(_FOLD)
    hits: list[_Hit] = []
    if "@" in text:  # an e-mail address may hold a phone number: it goes first
        hits.extend(_emails(text))
    if "at" in text or "AT" in text:  # (two substring tests cost less than any regex that finds the spelled @)
        hits.extend(_spelled_emails(text))
    long_number = _LONG_NUMBER.search(text) is not None or "**" in text  # (a starred ID may keep only six digits)
    for detect in _LONG_NUMBER_DETECTORS:
        if long_number or (detect is _spaced_mobiles and "1" in text):
            hits.extend(detect(text))
    if _IM_HINT.search(text):
        hits.extend(_im_accounts(text))
    if ("尾" in text or "位" in text) and _PARTIAL_HINT.search(text):  # (位 alone: 单位, 位置 — a sixth of texts)
        hits.extend(_partial_numbers(text))
    hits.extend(_cn_mobiles(text))
    if _RECORD_HINT.search(text):
        hits.extend(_record_numbers(text))
    hits.extend(_plates(text))
    hits.extend(_addresses(text))
    hits.extend(_names(text))
    if "男" in text or "女" in text:
        hits.extend(_names_before_sex(text))
    if "家属" in text:
        hits.extend(_relatives(text))
    if "诊" in text or "患" in text or "查出" in text:
        hits.extend(_diagnosed(text))
    if hits:
        hits.extend(_names_beside(text, hits))
        hits.extend(_names_listed(text, hits))
        if "的" in text:
            hits.extend(_names_of_residents(text, hits))
        hits.extend(_names_repeated(text, hits))
        hits = _longest_names(text, hits)
    accepted: list[_Hit] = []
    taken = bytearray(len(text))
    for hit in hits:
        if hit.end > hit.start and not any(taken[hit.start : hit.end]):
            taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
            accepted.append(hit)
    if not accepted:
        return DeidResult(original, [])
    kinds = {h.kind for h in accepted}
    if "id_card" in kinds and kinds & {"mobile", "landline"}:
        # Never name + partial ID + phone together (domain.md §6): beside a phone number an ID number keeps no digit.
        accepted = [h if h.kind != "id_card" else h._replace(masked=_ID_DIGIT.sub("*", h.masked)) for h in accepted]
    accepted.sort()
    out, pos = [], 0
    for hit in accepted:
        out.append(original[pos : hit.start])
        out.append(hit.masked)
        pos = hit.end
    out.append(original[pos:])
    return DeidResult("".join(out), [Finding(h.kind, (h.start, h.end)) for h in accepted])


# An account name is letters then digits (wangfang88, zhangwei1988); hotlines (12345, 12315), voltages (110kv),
# models and codes (PM2.5, G107, MU5735, COVID-19, H7N9) are real terms. Seven digits or more is a number.
_IDENTIFIER_LIKE = re.compile(r"(?=[A-Za-z_\d]{8,})[A-Za-z]{4,}[A-Za-z_]*\d{2,}|\d{7,}|.*\*.*")


def may_identify(term: str) -> bool:
    """Whether a token looks like an account, a plate or a number (wangfang88, d12345, 20230101) or holds a mask:
    what masking missed must not be promoted into an event's keywords or a new-term alert."""
    return _IDENTIFIER_LIKE.fullmatch(term) is not None


def deidentify_author(name: str) -> str:
    """A stable pseudonym for an author (HMAC-SHA256 with a secret key), so one person's posts can be
    counted together without showing who they are. Idempotent: a pseudonym maps to itself."""
    name = name.strip()
    if not name or _PSEUDONYM.fullmatch(name):
        return name
    return f"u_{keyed_digest(name)[:12]}"


# A value that is by itself a mobile number, an ID number (province, birth date and check digit all valid) or a UnionPay
# card number (62…, the Luhn check valid). Other cards (4…, 5…) are not taken bare: Weibo's 16-digit post ids begin so
# and pass the Luhn check one time in ten.
_BARE_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_BARE_UNIONPAY = re.compile(r"62[0-9]{14,17}")
_BARE_ID18 = re.compile(r"[1-9][0-9]{16}[0-9Xx]")


def is_personal_number(value: str) -> bool:
    """Whether ``value`` is, whole, a mobile, ID or bank card number: in a link it is personal data whatever its query
    key is called (?q=13812345678, ?account=6222…, /u/13812345678.html), where other bare numbers are page ids."""
    if _BARE_MOBILE.fullmatch(value) or (_BARE_UNIONPAY.fullmatch(value) and _luhn_ok(value)):
        return True
    return (_BARE_ID18.fullmatch(value) is not None and value[:2] in _PROVINCE_CODES and _id_checksum_ok(value)
            and real_date(int(value[6:10]), int(value[10:12]), int(value[12:14])))


def post_id_pseudonym(post_id: str) -> str | None:
    """A keyed pseudonym (``p_`` and 20 hex digits) for a post id that is itself personal data — a phone number, an ID
    number, an e-mail address: what de-identification would mask in it — else None. The same id always gives the same
    pseudonym, so a repeated id is still a repeat; a pseudonym is no personal data (idempotent). For ids given from
    outside (JSON lines): a crawled post's id is made safe where it is made (``Post.make_id``)."""
    if _POST_PSEUDONYM.fullmatch(post_id) or not _personal_id(post_id):
        return None
    return f"p_{keyed_digest('post id' + chr(0x1F) + post_id)[:20]}"


# An id written as a token (4987654321012349, weibo_4987654321012349, 2026-11-27:12): personal only when a number in it
# is, whole, a mobile or ID number as the text rules read them, or a UnionPay card number — any Luhn-valid 16 digits
# read as a card, and a tenth of Weibo's post ids were pseudonymised by `yuqing analyze` and said to be personal data
# (a review, 2026-11-27).
_ID_TOKEN = re.compile(r"[0-9A-Za-z_.:\-]+")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]+")


def _personal_id(post_id: str) -> bool:
    if _ID_TOKEN.fullmatch(post_id):
        return any(is_personal_number(number) or any(f.kind in ("mobile", "id_card") for f in deidentify(number).findings)
                   for number in _ID_NUMBER.findall(post_id))
    return bool(deidentify(post_id).findings)  # text in it (an e-mail address, a name): as any text is masked


@dataclass
class PersonalPostIds:
    """The posts of a JSON-lines file whose id is itself personal data, each put under its keyed pseudonym
    (``post_id_pseudonym``) and remembered by line, so that what is written, indexed or shown never carries the id —
    nor ``dup_of`` or an event's posts, which name it — and a note says which lines, never the values."""

    lines: list[int] = field(default_factory=list)

    def safe(self, post: Post, line: int) -> Post:
        """The post under its pseudonym when its id is personal data, else as it was."""
        pseudonym = post_id_pseudonym(post.id)
        if pseudonym is None:
            return post
        self.lines.append(line)
        return post.model_copy(update={"id": pseudonym})

    def note(self, path: object, used: str) -> str | None:
        """What was done, by line number (``used``: how the posts are used, "written", "indexed and shown")."""
        if not self.lines:
            return None
        n = len(self.lines)
        lines = ", ".join(map(str, self.lines[:10])) + (f" and {n - 10} more" if n > 10 else "")
        return (f"{path}: the id of {n} post(s) is personal data (a phone number, an ID number or an e-mail address; "
                f"line{'s' if n > 1 else ''} {lines}): each is {used} under a keyed pseudonym (p_ and 20 hex digits), "
                "the same for the same id")
