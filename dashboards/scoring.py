"""Evaluators score a case's handling on its page (domain.md §7; the scheme is ``yuqing.assessment``).

The dashboards have no accounts. An evaluator is a name and a passphrase given to them, configured in the
environment variable that ``dashboard.evaluators_env`` names (default ``YUQING_EVALUATORS``), never in a file:

    YUQING_EVALUATORS="王评估:a-long-random-passphrase;李评估:another-long-passphrase"

The form sends the passphrase with the scores; the name it belongs to is who assessed, in the assessment and in
the case's audit trail. Passphrases shorter than ``MIN_PASSPHRASE`` characters are refused at start-up (a short
one could be guessed through the form), and they are compared in constant time. The same scoring is
``yuqing cases assess`` on the command line.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from yuqing import assessment

MIN_PASSPHRASE = 12
# A scoring form is a few hundred bytes; a note of a few thousand characters fits with room to spare.
MAX_FORM_BYTES = 64 * 1024


class EvaluatorConfigError(ValueError):
    """The evaluators variable is malformed; the message says which entry and how to write it."""


@dataclass(frozen=True)
class Evaluators:
    """Passphrase → evaluator name."""

    by_passphrase: dict[str, str]

    @classmethod
    def parse(cls, value: str | None, variable: str = "YUQING_EVALUATORS") -> Evaluators:
        """``name:passphrase`` entries separated by ``;`` (empty or unset: nobody scores on the web)."""
        found: dict[str, str] = {}
        for number, entry in enumerate((value or "").split(";"), start=1):
            if not entry.strip():
                continue
            name, sep, passphrase = entry.partition(":")
            name, passphrase = name.strip(), passphrase.strip()
            if not sep or not name or not passphrase:
                raise EvaluatorConfigError(f"{variable}, entry {number}: write it as name:passphrase "
                                           "(entries separated by ;)")
            if len(passphrase) < MIN_PASSPHRASE:
                raise EvaluatorConfigError(f"{variable}, entry {number} ({name}): the passphrase has {len(passphrase)} "
                                           f"characters; give at least {MIN_PASSPHRASE} (e.g. from `openssl rand -hex 12`)")
            if passphrase in found:
                raise EvaluatorConfigError(f"{variable}: {found[passphrase]} and {name} share a passphrase; give "
                                           "each evaluator their own")
            if name in found.values():
                raise EvaluatorConfigError(f"{variable}: {name} appears twice; the name is who scored, so each "
                                           "evaluator needs their own")
            found[passphrase] = name
        return cls(found)

    def __bool__(self) -> bool:
        return bool(self.by_passphrase)

    def who(self, passphrase: str) -> str | None:
        """The evaluator a passphrase belongs to, compared in constant time against every one."""
        name = None
        for known, evaluator in self.by_passphrase.items():
            if hmac.compare_digest(known.encode("utf-8"), passphrase.encode("utf-8")):
                name = evaluator
        return name


@dataclass
class ScoreForm:
    """What the form sent, kept as typed so a refused form is shown again with nothing lost."""

    values: dict[str, str]
    note: str
    passphrase: str

    @classmethod
    def parse(cls, body: bytes) -> ScoreForm:
        fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)

        def one(key: str) -> str:
            return (fields.get(key) or [""])[0].strip()

        return cls({d.key: one(d.key) for d in assessment.DIMENSIONS}, one("note"), one("passphrase"))

    def scores(self) -> dict[str, str]:
        """The scores filled in, for ``assessment.check_scores`` (which names every one missing, out of range or
        not a number)."""
        return {key: value for key, value in self.values.items() if value}
