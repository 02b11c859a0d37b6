"""The routing tree read like Alertmanager's: where a case goes, and why."""

from __future__ import annotations

import pytest
import yaml

from alerts.routing import CaseLabels, Router, RoutingError, format_explanation
from tests.alerts.casekit import REPO, shipped_config
from yuqing.settings import ConfigError, UnitsFile, load_config


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(shipped_config().units)


def test_an_a3_school_case_goes_to_the_a3_education_bureau(router: Router) -> None:
    decision = router.route(CaseLabels(topic="就学", grade="III", city="A市", districts=("A3区",)))
    assert decision.unit_id == "a3-edu"
    assert decision.joint_unit_ids == []
    lines = format_explanation(decision.steps)
    assert any("routes[0]" in line and "主题就学" in line for line in lines)
    assert any("a3-edu" in line and "属地" in line for line in lines)


def test_a_case_spanning_two_districts_goes_one_level_up_to_the_city_bureau(router: Router) -> None:
    decision = router.route(CaseLabels(topic="就学", grade="III", city="A市", districts=("A3区", "A5区")))
    assert decision.unit_id == "a-edu"
    receiver = [s for s in decision.steps if s["step"] == "receiver"][0]
    assert "涉及 A3区、A5区 多个区" in receiver["reason"]


def test_a_district_without_its_own_bureau_goes_to_the_city_one(router: Router) -> None:
    decision = router.route(CaseLabels(topic="食品药品安全", grade="III", city="A市", districts=("A3区",)))
    assert decision.unit_id == "a-market"


def test_a_grade_ii_case_also_notifies_the_joint_units(router: Router) -> None:
    decision = router.route(CaseLabels(topic="就学", grade="II", city="A市", districts=("A3区",)))
    assert decision.unit_id == "a3-edu"
    # the district's government office coordinates with the publicity department (61号), then the joint units
    assert decision.joint_unit_ids == ["a3-gov-office", "a-publicity", "a-cac", "a-police", "hn-telecom"]
    assert any(s["step"] == "joint" and "重大舆情" in s["reason"] for s in decision.steps)
    city = router.route(CaseLabels(topic="食品药品安全", grade="I", city="A市"))
    assert (city.unit_id, city.joint_unit_ids[0]) == ("a-market", "a-gov-office")


def test_work_safety_informs_the_sectors_own_regulator_too(router: Router) -> None:
    """domain.md §4: 应急管理局 (plus the sector's own regulator); a construction site's is 住建."""
    site = router.route(CaseLabels(topic="安全生产", grade="III", city="A市", districts=("A5区",),
                                   text="在建工地脚手架坍塌"))
    assert site.unit_id == "a-emergency" and site.joint_unit_ids == ["a-housing"]
    lift = router.route(CaseLabels(topic="安全生产", grade="III", city="A市", text="小区电梯困人"))
    assert lift.joint_unit_ids == ["a-market"]
    plain = router.route(CaseLabels(topic="安全生产", grade="III", city="A市", text="化工厂爆炸"))
    assert plain.unit_id == "a-emergency" and plain.joint_unit_ids == []


def test_a_school_incident_informs_the_education_bureau_and_fraud_goes_to_the_police(router: Router) -> None:
    """A review: food poisoning in a school canteen reached 市场监管 alone, a kindergarten fire 应急管理局 alone
    (the brief names it 就学 as much as 食品药品安全), and telecom fraud went to 通信管理局 instead of 公安 (反诈)."""
    canteen = router.route(CaseLabels(topic="食品药品安全", grade="III", city="A市", districts=("A3区",),
                                      text="A3区实验小学食堂午餐后学生呕吐腹泻"))
    assert canteen.unit_id == "a-market" and canteen.joint_unit_ids == ["a3-edu"]
    as_schooling = router.route(CaseLabels(topic="就学", grade="IV", city="A市", districts=("A3区",),
                                           text="A3区第二实验小学发生疑似食物中毒事件"))  # (the demo's case)
    assert as_schooling.unit_id == "a3-edu" and as_schooling.joint_unit_ids == ["a-market"]
    fire = router.route(CaseLabels(topic="安全生产", grade="III", city="A市", districts=("A3区",),
                                   text="A3区一幼儿园发生火灾"))
    assert fire.unit_id == "a3-emergency" and fire.joint_unit_ids == ["a3-edu"]
    fraud = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", text="冒充公安电话诈骗8万元，运营商怎么不拦截"))
    assert fraud.unit_id == "a-police" and fraud.joint_unit_ids == ["hn-telecom"]
    # …but a P2P platform's fund-raising fraud is no carriers' matter, nor a factory canteen the schools' (a review)
    p2p = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", text="A2区余易贷平台涉嫌集资诈骗"))
    assert p2p.unit_id == "a-police" and p2p.joint_unit_ids == []
    factory = router.route(CaseLabels(topic="食品药品安全", grade="III", city="A市", text="某电子厂职工食堂食物中毒"))
    assert factory.unit_id == "a-market" and factory.joint_unit_ids == []


def test_telecom_fraud_the_topic_model_files_under_public_order_informs_the_carriers_regulator(
        router: Router) -> None:
    """A review (M2): the topic model labels telecom fraud 社会治安, whose route came first and ended the walk, so the
    fraud route that informs 通信管理局 never fired for the most typical telecom-fraud post."""
    from analysis.topic import TopicModel

    title = "A市多名市民遭遇电信诈骗 骗子冒充客服骗走20万元"
    text = "近日，A市多名市民接到冒充电商客服的电话，被以退款为由骗走20余万元，警方提醒谨防电信诈骗。"
    labelled = TopicModel.load().predict([f"{title} {text}"])[0][0]
    for topic in {labelled, "社会治安"}:
        fraud = router.route(CaseLabels(topic=topic, grade="IV", city="A市", text=title))
        assert (fraud.unit_id, fraud.joint_unit_ids) == ("a-police", ["hn-telecom"]), topic
    # public order without telecom fraud stays the police's alone
    stabbing = router.route(CaseLabels(topic="社会治安", grade="IV", city="A市", text="A市街头持刀伤人 嫌疑人已被抓获"))
    assert (stabbing.unit_id, stabbing.joint_unit_ids) == ("a-police", [])


def test_a_province_wide_case_tells_the_province_and_an_unmatched_district_case_goes_to_its_own_office(
        router: Router) -> None:
    """A routing review: 湖南省多地暴雨 went to A市应急管理局 as "区县不明" with nobody above told (61号: several
    localities — the higher department is first responsible), and a district's non-livelihood matter went to the
    city's office, not the district's (属地管理)."""
    flood = router.route(CaseLabels(topic="防灾减灾救灾", grade="III", province="湖南省", text="湖南省多地暴雨引发山洪"))
    assert flood.unit_id == "a-emergency" and "hn-gov-office" in flood.joint_unit_ids
    assert any("全省范围（湖南省）" in s["reason"] for s in flood.steps if s["step"] == "receiver")
    district = router.route(CaseLabels(topic="非民生", city="A市", districts=("A3区",)))
    assert district.unit_id == "a3-gov-office"
    city = router.route(CaseLabels(topic="非民生", city="A市"))
    assert city.unit_id == "a-gov-office" and "hn-gov-office" not in city.joint_unit_ids


def test_a_rumour_is_passed_to_police_and_cyberspace_units(router: Router) -> None:
    decision = router.route(CaseLabels(topic="就学", grade="IV", city="A市", districts=("A3区",),
                                       text="网传A3区某中学学生坠楼系谣言"))
    assert decision.unit_id == "a3-edu"
    assert set(decision.joint_unit_ids) == {"a-police", "a-cac"}


def test_a_non_livelihood_rumour_is_answered_by_the_matters_unit_and_passed_to_the_police(router: Router) -> None:
    """61号: respond to rumours, and pass the leads to 公安 and 网信. A rumour outside the livelihood topics made
    公安 the unit that must answer it — a rumoured water cut-off is for the government to refute."""
    decision = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", districts=("A3区",),
                                       text="网传A3区全区停水三天系谣言"))
    assert decision.unit_id == "a3-gov-office"
    assert set(decision.joint_unit_ids) == {"a-police", "a-cac"}
    found = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", districts=("A3区",),
                                    text="A3区停水", rumour_cues=("不实信息",)))
    assert set(found.joint_unit_ids) == {"a-police", "a-cac"}
    assert any("不实信息" in s["reason"] for s in found.steps if s["step"] == "joint")


def test_saying_something_is_not_a_rumour_sends_nothing_to_the_police(router: Router) -> None:
    decision = router.route(CaseLabels(topic="住房保障", grade="IV", city="A市", districts=("A3区",),
                                       text="小区停水三天了，业主说这不是谣言，物业一直不管"))
    assert decision.joint_unit_ids == []


def test_rumour_cues_and_receiving_kinds_come_from_units_yaml() -> None:
    units = load_config().units
    local = units.model_copy(update={"rumour": units.rumour.model_copy(
        update={"cues": ["假消息"], "unit_kinds": ["网信办"]})})
    decision = Router(local).route(CaseLabels(topic="就学", grade="IV", city="A市", districts=("A3区",),
                                              text="网传A3区某中学停课是假消息"))
    assert decision.joint_unit_ids == ["a-cac"]
    assert any("谣言线索“假消息”" in s["reason"] and "units.yaml rumour" in s["reason"] for s in decision.steps)
    # The shipped words no longer count once a locality replaces them.
    plain = Router(local).route(CaseLabels(topic="就学", grade="IV", city="A市", districts=("A3区",), text="系谣言"))
    assert plain.joint_unit_ids == []


def test_a_keyword_child_route_takes_medical_insurance_away_from_health(router: Router) -> None:
    insurance = router.route(CaseLabels(topic="就医", city="A市", districts=("A3区",), text="医保报销比例下调"))
    assert insurance.unit_id == "a-medical-security"
    care = router.route(CaseLabels(topic="就医", city="A市", districts=("A3区",), text="医院急诊排长队"))
    assert care.unit_id == "a-health"
    assert any(s["step"] == "no match" and "医保" in s["route"] for s in care.steps)


def test_an_unmatched_case_goes_to_the_default_receiver_and_says_what_did_not_match(router: Router) -> None:
    decision = router.route(CaseLabels(topic="非民生", city="A市"))
    assert decision.unit_id == "a-gov-office"
    assert sum(1 for s in decision.steps if s["step"] == "no match") == 14  # every top-level route


def test_continue_lets_a_later_sibling_add_its_unit() -> None:
    raw = yaml.safe_load((REPO / "config" / "units.yaml").read_text(encoding="utf-8"))
    raw["route"]["routes"][0]["continue"] = True
    raw["route"]["routes"].insert(1, {"match": {"district": "A3区"}, "receiver": "a3-gov-office"})
    decision = Router(UnitsFile.model_validate(raw)).route(CaseLabels(topic="就学", city="A市", districts=("A3区",)))
    assert decision.unit_id == "a3-edu"
    assert decision.joint_unit_ids == ["a3-gov-office"]


def test_a_route_to_an_unknown_unit_is_refused_with_its_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((REPO / "config" / "units.yaml").read_text(encoding="utf-8"))
    raw["route"]["routes"][0] = {"match": {"topic": "就学"}, "receiver": "a9-edu"}
    with pytest.raises(RoutingError, match="a9-edu"):
        Router(UnitsFile.model_validate(raw))
    for name in ("settings.yaml", "sources.yaml", "taxonomy.yaml", "policy.yaml"):
        (tmp_path / name).write_text((REPO / "config" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "units.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="a9-edu"):
        load_config(tmp_path)


def test_the_unit_hierarchy_is_walked_upward_for_escalation(router: Router) -> None:
    assert [u.id for u in router.chain("a3-edu")] == ["a3-edu", "a-edu", "a-gov-office", "hn-gov-office"]
    assert {"a3-edu", "a-edu"} <= router.descendants("a-edu")


@pytest.mark.parametrize(("region", "outside"), [
    ({"province": "广东省", "city": "深圳市"}, "深圳市不在 units.yaml 所辖城市（A市）之内"),
    ({"province": "湖南省", "city": "长沙市"}, "长沙市不在 units.yaml 所辖城市（A市）之内"),
    ({"province": "广东省"}, "广东省不在 units.yaml 所辖省份（湖南省）之内"),
    ({"province": "湖南省", "city": "A市", "district": "A3区"}, None),
    ({"province": "湖南省"}, None),  # the province of the units: not outside
    ({"country": "伊拉克"}, "伊拉克在境外，不归 units.yaml 的单位属地管理"),
    (None, None),  # unknown: routed as usual
])
def test_the_jurisdiction_is_where_the_units_sit(router: Router, region: dict | None, outside: str | None) -> None:
    from yuqing.contract import Region

    assert router.outside(Region(**region) if region else None) == outside


def test_mobile_signal_and_broadband_go_to_the_provincial_telecom_bureau(router: Router) -> None:
    """通信管理局 is vertically managed, provincial only (domain.md §3): a signal complaint went to the city office."""
    decision = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", districts=("A3区",),
                                       text="小区手机信号差，打电话都断"))
    assert decision.unit_id == "hn-telecom"
    # ... and the office above coordinates at every grade, not only for major cases (it had no coordinator)
    assert decision.joint_unit_ids == ["hn-gov-office"]
    school = router.route(CaseLabels(topic="就学", grade="IV", city="A市", districts=("A3区",), text="学校食堂"))
    assert school.unit_id == "a3-edu"


def test_also_kinds_on_the_root_hold_for_every_case_and_a_joint_route_says_why_the_office_joins() -> None:
    raw = yaml.safe_load((REPO / "config" / "units.yaml").read_text(encoding="utf-8"))
    raw["route"]["also_kinds"] = ["网信办"]
    raw["route"]["routes"][0]["joint"] = True  # 就学: joint units on every case
    decision = Router(UnitsFile.model_validate(raw)).route(CaseLabels(topic="就学", grade="IV", city="A市",
                                                                     districts=("A3区",)))
    assert "a-cac" in decision.joint_unit_ids and decision.joint_unit_ids[0] == "a-cac"  # root's also_kinds
    office = next(s for s in decision.steps if s.get("unit") == "a3-gov-office")
    assert office["reason"].startswith("本路由要求联动（joint: true）") and "IV 级为重大舆情" not in office["reason"]


def test_the_stock_slogan_against_rumours_is_no_rumour(router: Router) -> None:
    """A review: "不信谣、不传谣、不造谣" closes official notices; in the SMP2020 COVID posts a fifth of those using a
    rumour word were the slogan, and read in a post's body it informed 公安 and 网信 of every such event."""
    for text in ("A3区发布停水通知，请市民不信谣、不传谣、不造谣", "请勿传播不实信息", "切勿传谣", "不要相信谣言"):
        decision = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", districts=("A3区",), text=text))
        assert decision.joint_unit_ids == [], text
    rumour = router.route(CaseLabels(topic="非民生", grade="IV", city="A市", districts=("A3区",),
                                     text="网传A3区停水系谣言，请勿传播"))
    assert set(rumour.joint_unit_ids) == {"a-police", "a-cac"}


# A district's own press office (a review, 成都市武侯区): every unit sits in 武侯区, none covers 成都市 whole.
DISTRICT_ONLY = """
version: 1
units:
  - {id: wh-gov-office, name: 成都市武侯区人民政府办公室, kind: 政府办公室, level: district,
     region: {province: 四川省, city: 成都市, district: 武侯区}}
  - {id: wh-emergency, name: 成都市武侯区应急管理局, kind: 应急管理局, level: district,
     region: {province: 四川省, city: 成都市, district: 武侯区}, parent: wh-gov-office}
  - {id: wh-yulin, name: 武侯区玉林街道办事处, kind: 街道办事处, level: township,
     region: {province: 四川省, city: 成都市, district: 武侯区}, parent: wh-gov-office}
route:
  receiver: wh-gov-office
  routes:
    - {match: {topic: 安全生产}, receiver_kind: 应急管理局}
"""


def district_only_router() -> Router:
    return Router(UnitsFile.model_validate(yaml.safe_load(DISTRICT_ONLY)))


@pytest.mark.parametrize(("region", "outside"), [
    ({"province": "四川省", "city": "成都市", "district": "双流区"},
     "双流区不在 units.yaml 所辖区县（成都市武侯区）之内：units.yaml 没有成都市的市级单位，成都市的其他区县不归这些单位属地管理"),
    ({"province": "四川省", "city": "成都市", "district": "武侯区"}, None),
    ({"province": "四川省", "city": "成都市"}, None),  # the city, no district named: routed as usual
    ({"province": "江苏省", "city": "南京市", "district": "鼓楼区"}, "南京市不在 units.yaml 所辖城市（成都市）之内"),
])
def test_with_no_unit_covering_the_city_the_jurisdiction_is_the_units_districts(region: dict,
                                                                              outside: str | None) -> None:
    """A review: a 双流区 kindergarten complaint opened a case with a 2 h deadline for 武侯区's government office."""
    from yuqing.contract import Region

    assert district_only_router().outside(Region(**region)) == outside


def test_a_sibling_districts_case_opened_by_hand_says_it_lies_outside() -> None:
    decision = district_only_router().route(CaseLabels(topic="安全生产", province="四川省", city="成都市",
                                                       districts=("锦江区",)))
    assert decision.unit_id == "wh-gov-office"
    assert decision.steps[-1]["reason"] == ("没有 应急管理局 单位覆盖锦江区（锦江区在所辖区县之外：自动流程不为其立案），"
                                            "交默认接收单位 成都市武侯区人民政府办公室")


def test_a_city_with_a_city_level_unit_keeps_all_its_districts(router: Router) -> None:
    """The demo: A市 has city-level units, so A5区 (no units of its own) is inside and goes to the city's unit."""
    from yuqing.contract import Region

    assert router.outside(Region(province="湖南省", city="A市", district="A5区")) is None
    assert router.route(CaseLabels(topic="安全生产", city="A市", districts=("A5区",))).unit_id == "a-emergency"
