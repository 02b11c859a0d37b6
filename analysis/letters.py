"""What a citizen's letter on a government message board is, by its own words: a complaint (投诉类) or a suggestion
(建议咨询类). One vocabulary for the letter's reply deadline (皖政办〔2015〕12号: a complaint's 15 working days, a
suggestion's 7; alerts.deadlines, by the title the letter gives itself) and for grading (analysis.grading, by all it
says: the sentiment model, trained on Weibo, reads formal complaint letters as neutral). The two read one list: a code
review found 「…噪音扰民」 a complaint in the grade and 建议咨询类（无投诉、举报等用语） in the deadline of one case.
"""

from __future__ import annotations

import re

# The writer's own word decides: 建议加强对拖欠工资的监管, 关于开通举报热线的建议 are suggestions whatever they mention.
SUGGESTION_OPENINGS = ("建议", "提议", "倡议")
SUGGESTION_ENDINGS = ("的建议", "的提议", "的倡议")
# Words of a grievance: asking for redress (投诉, 举报, 维权, 索赔), or naming a wrong done (诈骗, 扰民, 捆绑销售…).
COMPLAINT_WORDS = ("投诉", "举报", "维权", "索赔", "不作为", "乱收费", "拖欠", "诈骗", "欺诈", "欺骗", "欺压", "坑害",
                   "坑骗", "霸王条款", "霸王规定", "强买强卖", "捆绑销售", "虚假宣传", "虚假承诺", "扰民", "黑心", "暴利")
_COMPLAINT = re.compile("|".join(COMPLAINT_WORDS))


def calls_itself_a_suggestion(title: str) -> bool:
    """Whether a letter's title says it is a suggestion (建议…, …的建议)."""
    title = title.strip().rstrip("。！!？?")
    return title.startswith(SUGGESTION_OPENINGS) or title.endswith(SUGGESTION_ENDINGS)


def complaint_words(text: str) -> list[str]:
    """The grievance words in ``text``, each once, in COMPLAINT_WORDS' order."""
    found = set(_COMPLAINT.findall(text))
    return [w for w in COMPLAINT_WORDS if w in found]


def grievance_words(title: str, text: str) -> list[str]:
    """The grievance words of a letter titled ``title`` that says ``text`` (both are looked at), or
    none where the title calls the letter a suggestion: the one test grading (``reads_as_complaint``) and the
    sentiment model's grievance rule (the opening's first line as the title) apply."""
    if calls_itself_a_suggestion(title):
        return []
    return complaint_words(f"{title}\n{text}")
