"""Who pressed a button in Slack, and whether that person may act for a unit: read from config/units.yaml.

units.yaml is the one source of truth: each unit's ``leaders`` and ``staff`` (Person, with ``slack_user``) tie a Slack
member ID to a person and a unit; the config check refuses a member ID listed twice. The timeline names a press
"name（unit）". The users table's ``slack_user`` column (dashboard accounts) is read only to name a Slack user
listed nowhere in units.yaml.

Who may act for a unit (签收, 登记回应): when it lists anyone, those people, the leaders of the units above it and the
people of the default receiver (the top route's ``receiver``, the 总值班 that coordinates every case: A市人民政府办公室 in
the shipped config); when it lists nobody, anyone who
can see its alert (the older rule, so deployments that map no one keep working). 知悉 is a joint unit's own word that
it saw the case: only its own people, or anyone in its conversation when it lists nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.routing import Router
from yuqing.paths import command_here
from yuqing.settings import Person, Unit, UnitsFile


@dataclass(frozen=True)
class SlackPerson:
    """A Slack user as units.yaml knows them."""

    slack_user: str
    name: str
    unit_id: str
    unit_name: str

    @property
    def label(self) -> str:
        """How the timeline names them: 李明（A3区教育局）."""
        return f"{self.name}（{self.unit_name}）"


class SlackPeople:
    """The people of units.yaml by Slack member ID, and who may act for which unit."""

    def __init__(self, units: UnitsFile | None):
        self._router = Router(units) if units is not None else None
        self._default_receiver = units.route.receiver if units is not None else None
        self._by_user: dict[str, SlackPerson] = {}
        for unit in units.units if units is not None else []:
            for person in [*unit.leaders, *unit.staff]:
                if person.slack_user and person.slack_user not in self._by_user:
                    self._by_user[person.slack_user] = _person(person, unit)

    def person(self, slack_user: str) -> SlackPerson | None:
        return self._by_user.get(slack_user)

    def of_unit(self, unit_id: str) -> list[SlackPerson]:
        """The unit's own leaders and staff who have a Slack member ID."""
        return [p for p in self._by_user.values() if p.unit_id == unit_id]

    def permitted(self, unit_id: str) -> list[SlackPerson]:
        """Who may act for the unit; empty when the unit lists nobody (then the conversation alone decides)."""
        if self._router is None or not self.of_unit(unit_id):
            return []
        above = self._router.chain(unit_id)[1:]
        leaders = [self._by_user[p.slack_user] for u in above for p in u.leaders
                   if p.slack_user and p.slack_user in self._by_user]
        on_duty = self.of_unit(self._default_receiver) if self._default_receiver else []
        out: dict[str, SlackPerson] = {}
        for person in [*self.of_unit(unit_id), *leaders, *on_duty]:
            out.setdefault(person.slack_user, person)
        return list(out.values())

    def refusal(self, unit_id: str, unit_name: str, slack_user: str, what: str, case_id: int) -> str | None:
        """None when this Slack user may ``what`` (签收, 登记回应) for the unit; otherwise what to tell them."""
        permitted = self.permitted(unit_id)
        if not permitted or any(p.slack_user == slack_user for p in permitted):
            return None
        return (f"您不能{what}案件 #{case_id}：只有 {unit_name} 登记的人员、其上级单位领导和"
                f"{self._default_receiver_name()}可以{what}。" + self._contact(unit_id, unit_name, slack_user))

    def noting_refusal(self, unit_id: str, unit_name: str, slack_user: str, case_id: int) -> str | None:
        """None when this Slack user may press 知悉 for the joint unit: one of its own people (anyone, when it lists
        nobody). A leader above or the default receiver would record that the unit saw a case it never saw."""
        own = self.of_unit(unit_id)
        if not own or any(p.slack_user == slack_user for p in own):
            return None
        return (f"您不能知悉案件 #{case_id}：只有 {unit_name} 登记的人员可以知悉（知悉是本单位收到告警的确认，"
                f"上级单位领导和{self._default_receiver_name()}不能代为知悉）。" + self._contact(unit_id, unit_name, slack_user))

    def _contact(self, unit_id: str, unit_name: str, slack_user: str) -> str:
        contacts = "、".join(p.name for p in self.of_unit(unit_id))
        return (f"请联系 {contacts} 办理。如您是 {unit_name} 的工作人员，请管理员把您的 Slack 成员 ID（{slack_user or '未知'}）"
                f"加入 config/units.yaml 中 {unit_id} 的 staff。")

    def reopening(self, unit_id: str, case_id: int) -> str:
        """Whom a Slack user, who has no shell, asks to reopen a closed case: the default receiver (总值班) by its people
        and the government office coordinating the unit; and the command their operator runs."""
        office = self._router.by_id.get(self._default_receiver or "") if self._router is not None else None
        unit = self._router.by_id.get(unit_id) if self._router is not None else None
        coordinator = self._router.coordinating_office(unit) if self._router is not None and unit is not None else None
        people = "、".join(p.name for p in self.of_unit(office.id)) if office is not None else ""
        whom = f"{office.name}（总值班{'：' + people if people else ''}）" if office is not None else "总值班单位"
        if coordinator is not None and coordinator is not office:
            whom += f"或{coordinator.name}"
        return (f"请联系{whom}重新打开本案，其值班员在命令行运行 "
                f"{command_here(f'cases reopen {case_id} --actor 姓名 --reason 原因')}。")

    def _default_receiver_name(self) -> str:
        office = self._router.by_id.get(self._default_receiver or "") if self._router is not None else None
        return office.name if office is not None else "总值班单位"


def _person(person: Person, unit: Unit) -> SlackPerson:
    return SlackPerson(slack_user=person.slack_user or "", name=person.name, unit_id=unit.id, unit_name=unit.name)
