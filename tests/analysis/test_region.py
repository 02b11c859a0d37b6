"""Region resolution: which province / city / district a post is about (routing depends on it)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.region import RegionConfigError, RegionResolver, resolve_region
from yuqing.contract import Region
from yuqing.paths import SharedDataMissing, shared_data_file


def where(text: str, source: Region | None = None) -> tuple[str | None, str | None, str | None] | None:
    region = resolve_region(text, source)
    return None if region is None else (region.province, region.city, region.district)


def test_full_names_give_province_city_district_and_code() -> None:
    region = resolve_region("长沙市岳麓区发生一起火灾，消防已到场")
    assert region == Region(province="湖南省", city="长沙市", district="岳麓区", code="430104")


def test_parents_are_filled_from_a_district_alone() -> None:
    assert where("岳麓区某小区停水") == ("湖南省", "长沙市", "岳麓区")


def test_short_names_of_provinces_and_cities() -> None:
    assert where("湖南长沙今天下雨") == ("湖南省", "长沙市", None)
    assert where("恩施州来凤县") == ("湖北省", "恩施土家族苗族自治州", "来凤县")


def test_ambiguous_district_takes_the_source_region() -> None:
    assert where("朝阳区发生交通事故", Region(province="北京市")) == ("北京市", "北京市", "朝阳区")
    assert where("朝阳区发生交通事故", Region(province="吉林省", city="长春市")) == (
        "吉林省",
        "长春市",
        "朝阳区",
    )


def test_ambiguous_district_with_an_unrelated_source_is_not_guessed() -> None:
    region = resolve_region("朝阳区发生交通事故", Region(province="辽宁省", city="朝阳市"))
    assert region == Region(district="朝阳区")


def test_text_naming_the_place_outweighs_the_source() -> None:
    assert where("北京市朝阳区发生交通事故", Region(province="辽宁省", city="朝阳市")) == (
        "北京市",
        "北京市",
        "朝阳区",
    )


def test_text_without_a_place_falls_back_to_the_source_region() -> None:
    assert resolve_region("今天的天气很好", Region(city="长沙市")) == Region(
        province="湖南省", city="长沙市", code="430100"
    )
    assert resolve_region("今天的天气很好") is None


def test_a_city_named_on_a_district_board_stays_with_the_district() -> None:
    source = Region(province="湖南省", city="长沙市", district="岳麓区")
    assert where("长沙的公交线路调整", source) == ("湖南省", "长沙市", "岳麓区")


def test_masked_zhengwu_names_resolve_with_the_alias_table() -> None:
    source = Region(city="A市")
    assert resolve_region("A3区一米阳光婚纱摄影是否合法纳税", source) == Region(city="A市", district="A3区")
    assert where("反映A7县春华镇金鼎村水泥路问题", source) == (None, "A市", "A7县")
    assert where("K7县某村道路破损", source) == (None, "K市", "K7县")
    assert where("A市的公交车", source) == (None, "A市", None)
    assert where("小区B区3栋漏水", source) == (None, "A市", None)


def test_streets_named_after_places_are_not_places() -> None:
    assert where("家住中山路3号") is None
    assert where("南京路步行街人很多", Region(city="长沙市")) == ("湖南省", "长沙市", None)
    assert where("A3区西大道汇集了三个方向的车流", Region(city="A市")) == (None, "A市", None)


def test_words_that_begin_with_road_or_street_leave_the_place_before_them() -> None:
    """路政, 路况, 街道, 街头 are no streets: the district or city before them is the place (a review found
    A5区路政 losing its district)."""
    assert where("希望A5区路政部门尽快修复坑洼", Region(city="A市")) == (None, "A市", "A5区")
    assert where("A3区街道办事处不作为", Region(city="A市")) == (None, "A市", "A3区")
    assert where("前两年在玉林街头摆摊") == ("广西壮族自治区", "玉林市", None)
    # …but 路边, 路人 after a place are still streets (a review: 南京路人山人海 went to 南京).
    assert where("南京路人山人海", Region(city="上海市")) == ("上海市", "上海市", None)
    assert where("北京路边的摊贩", Region(city="广州市")) == ("广东省", "广州市", None)


@pytest.mark.parametrize(("text", "district"), [("A7县路口镇麻林温泉迟迟得不到有力开发，一直在白白流淌", "A7县"),  # 248959
                                               ("长沙县路口镇一村民房屋倒塌", "长沙县")])
def test_a_township_named_lukou_is_no_street(text: str, district: str) -> None:
    region = resolve_region(text)
    assert region is not None and region.district == district


def test_phrases_that_contain_place_names_are_not_places() -> None:
    assert where("北京时间8点，A3区停电", Region(city="A市")) == (None, "A市", "A3区")
    assert where("早餐吃了三明治") is None


def test_short_names_that_are_ordinary_words_need_support() -> None:
    assert where("加强合作，讲究东方美学") is None
    assert where("日照不足影响采光", Region(city="A市")) == (None, "A市", None)
    assert where("义乌小商品市场") is None
    assert where("浙江义乌小商品市场") == ("浙江省", "金华市", "义乌市")


def test_municipalities_and_province_level_county_cities() -> None:
    assert where("北京疫情") == ("北京市", "北京市", None)
    assert where("仙桃市防汛") == ("湖北省", None, "仙桃市")


def test_renamed_units_show_their_current_name() -> None:
    assert where("宁乡县城区") == ("湖南省", "长沙市", "宁乡市")


def test_configured_alias_table_adds_local_names_and_preferences(tmp_path: Path) -> None:
    table = tmp_path / "region_aliases.yaml"
    table.write_text(
        "names:\n"
        "  梅溪湖片区: {province: 湖南省, city: 长沙市, district: 岳麓区}\n"
        "  江北新区: {province: 江苏省, city: 南京市, district: 江北新区}\n"
        "prefer:\n"
        "  朝阳区: '110105'\n",
        encoding="utf-8",
    )
    resolver = RegionResolver(table)
    assert resolver.resolve("梅溪湖片区积水") == Region(
        province="湖南省", city="长沙市", district="岳麓区", code="430104"
    )
    assert resolver.resolve("江北新区招聘") == Region(province="江苏省", city="南京市", district="江北新区")
    assert resolver.resolve("朝阳区发生交通事故") == Region(
        province="北京市", city="北京市", district="朝阳区", code="110105"
    )


def test_a_deployments_street_communities_resolve_to_its_district_and_keep_the_bundled_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 武侯区 press office lists its 街道 in config/region_aliases.yaml (a deployment review: a 成都市 feed's story
    about 浆洗街街道 reached no district). Its table adds to the bundled one: 北京时间 stays no place, 宁乡县 宁乡市."""
    (tmp_path / "region_aliases.yaml").write_text(
        "names:\n  浆洗街街道: {code: '510107'}\n  玉林街道: {code: '510107'}\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(tmp_path))
    resolver = RegionResolver()
    chengdu = Region(province="四川省", city="成都市")
    for title in ("浆洗街街道一小区停水三天", "玉林街道芳草社区老旧小区加装电梯进展缓慢"):
        region = resolver.resolve(title, chengdu, len(title))
        assert region is not None and region.district == "武侯区"
    region = resolver.resolve("北京时间今晚八点起小区停电", chengdu)
    assert region is not None and region.city == "成都市"
    region = resolver.resolve("宁乡县一小学食堂发生食物中毒")
    assert region is not None and region.district == "宁乡市"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("names:\n  某地: {cod: '430104'}\n", "names.某地.cod"),
        ("names:\n  某地: {code: '999999'}\n", "names.某地.code"),
        ("patterns:\n  - regex: '(unclosed'\n", "patterns[0].regex"),
        ("nmes: {}\n", "nmes"),
    ],
)
def test_a_broken_alias_table_names_the_file_and_the_key(tmp_path: Path, content: str, message: str) -> None:
    table = tmp_path / "region_aliases.yaml"
    table.write_text(content, encoding="utf-8")
    with pytest.raises(RegionConfigError) as err:
        RegionResolver(table)
    assert str(table) in str(err.value)
    assert message in str(err.value)


def _texts(relative: str, columns: tuple[str, ...], limit: int) -> list[str]:
    try:
        path = shared_data_file(relative)
    except SharedDataMissing as exc:
        pytest.skip(str(exc))
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    return ["\n".join(r[c] for c in columns) for r in rows]


def test_real_zhengwu_messages_stay_in_the_source_city_or_a_named_place() -> None:
    texts = _texts("zhengwu/messages_with_votes.csv", ("subject", "detail"), 1000)
    regions = [resolve_region(t, Region(city="A市")) for t in texts]
    in_a = sum(1 for r in regions if r is not None and r.city == "A市")
    assert all(r is not None for r in regions)
    assert in_a / len(regions) > 0.95


def test_the_source_region_completes_the_parents_the_text_leaves_out() -> None:
    source = Region(province="湖南省", city="A市")
    assert resolve_region("A3区某小学食堂发生食物中毒", source) == Region(province="湖南省", city="A市",
                                                                        district="A3区")
    assert resolve_region("今天天气不错", source) == Region(province="湖南省", city="A市")
    other = resolve_region("长沙市岳麓区发生火灾", source)
    assert other is not None and (other.city, other.district) == ("长沙市", "岳麓区")


A_BOARD = Region(province="湖南省", city="A市")


@pytest.mark.parametrize("text", [
    "A市办理老人公交卡还需要暂住证。我因医保关系在A市，只得回A市治病。广东珠海做得就比较好",
    "投诉A5区敬老院护工殴打老人，3名老人受伤住院。广东深圳的敬老院早就装了监控，A5区为什么不装",
])
def test_a_place_named_in_passing_does_not_take_the_post_from_its_own(text: str) -> None:
    """A comparison with 广东珠海 (two names that support each other) used to outweigh the board's own city."""
    region = resolve_region(text, A_BOARD)
    assert region is not None and (region.province, region.city) == ("湖南省", "A市")


CHANGSHA_BOARD = Region(province="湖南省", city="长沙市")


@pytest.mark.parametrize(("text", "expected"), [
    ("去年去北京旅游时看到公园都有免费饮水点，建议我们市的公园也设置", ("湖南省", "长沙市")),
    ("孩子户口迁到了海口，那边说要回原籍开证明，请问怎么办", ("湖南省", "长沙市")),
    ("株洲市芦淞区某小区长期停水，居民生活困难", ("湖南省", "株洲市")),  # same province: the text's place
    ("我是北京人，在岳麓区买的房子一直不给办房产证", ("湖南省", "长沙市")),
])
def test_a_message_to_a_board_is_about_the_boards_place_unless_it_names_one_nearer(
        text: str, expected: tuple[str, str]) -> None:
    """A board message is written to the board's government: a place in another province named in passing (去北京
    旅游时…, 迁到了海口) does not take it away."""
    region = resolve_region(text, CHANGSHA_BOARD, addressed=True)
    assert region is not None and (region.province, region.city) == expected


def test_a_news_story_from_a_source_goes_where_it_happened() -> None:
    region = resolve_region("去年去北京旅游时看到公园都有免费饮水点", CHANGSHA_BOARD)
    assert region is not None and region.province == "北京市"


def test_the_place_in_the_headline_outweighs_a_place_the_text_repeats() -> None:
    title = "A市计生委怎么不办理独生子女证？"
    text = f"{title}\n我在海南工作多年，海南省的政策是…，海南省那边说要回户籍地，海南省外的手续我不清楚"
    assert where(text, A_BOARD)[:2] == ("海南省", None)
    region = resolve_region(text, A_BOARD, title_chars=len(title))
    assert region is not None and region.city == "A市"


@pytest.mark.parametrize(("text", "district"), [("咨询I1区长春镇随迁入学政策，长春镇中心小学说名额已满", "I1区"),
                                               ("L3县永州乡敬老院伙食太差，永州乡政府不管", "L3县")])
def test_a_short_place_name_before_zhen_or_xiang_is_a_township(text: str, district: str) -> None:
    region = resolve_region(text, A_BOARD)
    assert region is not None and region.district == district


def test_a_weibo_handle_names_no_place() -> None:
    changsha = Region(province="湖南省", city="长沙市")
    region = resolve_region("[汗] //@北京哥哥-玩转信用卡: 政府不要因为地方强烈反对而不敢放开", changsha)
    assert region is not None and (region.province, region.city) == ("湖南省", "长沙市")
    assert resolve_region("@北京魅力深秋 活动即将开幕") is None


@pytest.mark.parametrize("text", [
    "李长春会见罗马尼亚总统伯塞斯库", "孙中山孙女遇车祸", "中国棋手许银川洪智提前包揽金银", "美国内华达州神秘地区",
    "澳大利亚昆士兰州州长", "三大理由让基金三千点上看多", "腾讯启动新乡村行动", "一线医护人员一定要平安顺利",
])
def test_a_place_name_inside_a_person_or_a_longer_word_is_no_place(text: str) -> None:
    region = resolve_region(text)
    assert region is None or (region.country is not None and region.province is None)  # 罗马尼亚, 美国: abroad


@pytest.mark.parametrize(("text", "city"), [
    ("南京大学自考本科毕业生申请学士学位新规", "南京市"), ("上海市委宣传部副部长出席", "上海市"),
    ("甘肃兰州2010上半年自考办理毕业须知", "兰州市"), ("湖南省长沙市岳麓区发生火灾", "长沙市"),
    # names the segmenter does not know and cuts apart (岳/阳, 唐/山, 望/城区) are kept
    ("在岳阳工作", "岳阳市"), ("湖南岳阳人", "岳阳市"), ("将以唐山地震为题材", "唐山市"), ("望城区一小区停水", "长沙市"),
    ("记者从吴忠获悉", "吴忠市"), ("在三沙工作", "三沙市"), ("长沙人", "长沙市"), ("成都市民", "成都市"),
])
def test_a_place_that_begins_a_word_or_follows_another_place_counts(text: str, city: str) -> None:
    region = resolve_region(text)
    assert region is not None and region.city == city


@pytest.mark.parametrize(("text", "province"), [("江苏籍货车在浙江高速侧翻致2人死亡", "浙江省"),
                                                ("香港籍女总监在上海被杀", "上海市")])
def test_where_someone_is_from_is_not_where_it_happened(text: str, province: str) -> None:
    """江苏籍 (a review found a person's or a lorry's origin chosen over the place of the incident)."""
    region = resolve_region(text)
    assert region is not None and region.province == province


@pytest.mark.parametrize(("text", "title_chars", "country"), [
    ("巴格达发生汽车炸弹袭击至少9死", 15, "伊拉克"), ("泰国南部茶馆遭武装分子袭击造成8人死伤", 0, "泰国"),
    ("加州山火致5人死亡", 0, "美国"), ("印尼海啸", 0, "印度尼西亚"),
    ("美国内华达州发生枪击案", 0, "美国"),  # 美国/内华达州: no 国内 (China) in it
    ("日本地震已致300人死亡 多地房屋倒塌", 0, "日本"),  # 日本/地震: no 本地 (here) in it (graded I and routed here)
])
def test_a_story_abroad_is_placed_abroad_not_at_its_source(text: str, title_chars: int, country: str) -> None:
    """A local news site's report of a bombing in 巴格达 happened in 伊拉克: taking the source's A市 put a 5 h deadline
    on A市's units."""
    region = resolve_region(text, CHANGSHA_BOARD, title_chars)
    assert region == Region(country=country) and region.label() == f"境外·{country}"


@pytest.mark.parametrize("text", [
    "印度洋海啸预警", "朝鲜族群众欢度节日", "苏丹红鸭蛋又出现了",  # inside longer words
    "美国小伙记录中国高考",  # China named: left to the gazetteer
    "日本地震 我市暂无影响", "日本地震 国内多地有震感",  # here named, after a name abroad
    "长沙游客在泰国遇难", "来自长沙的游客在泰国遇难",  # a Chinese place named (where someone is from, too)
    "2019年3月22日本人在早教中心缴纳培训费",  # a date, then 本人
    "今天下雨了。" + "很长的一段话，" * 10 + "据说日本也下雨",  # past the lead
])
def test_a_name_abroad_in_passing_or_inside_a_word_is_not_abroad(text: str) -> None:
    region = resolve_region(text, CHANGSHA_BOARD)
    assert region is not None and region.country is None and region.province == "湖南省"


@pytest.mark.parametrize("text", [
    # a review of the first version: local incidents placed abroad, and their cases never opened
    "我市一韩国烤肉店发生火灾 已致3人死亡", "缅甸籍男子在五一广场持刀伤人 2人死亡", "一名美国籍男子在五一广场", "越南新娘失踪",
    "澳洲龙虾店发生火灾", "德国进口奶粉疑致婴儿中毒", "泰国香米发霉", "欧洲城小区停水", "加州阳光小区电梯坠落 1死2伤",
    "罗马花园小区坍塌", "巴黎春天商场火灾", "迪拜酒店KTV火灾致3死", "福岛路发生车祸 2人死亡", "河内村发生火灾",
    "中东商人在本市被骗", "市民吐槽：我们这里比非洲还热", "全市中小学新加坡数学教材", "男子冒充韩国商人盗窃",
    "[美国队长]今天好开心", "通州准现房北美佳苑220平起别墅在售", "澳大利亚驻中国大使馆大使做客",
])
def test_a_foreign_name_that_names_something_here_places_nothing_abroad(text: str) -> None:
    region = resolve_region(text, CHANGSHA_BOARD, len(text))
    assert region is None or region.country is None, region


def test_a_board_message_naming_a_country_stays_with_the_board() -> None:
    region = resolve_region("日本的垃圾分类做得好，我们小区什么时候能做到", CHANGSHA_BOARD, addressed=True)
    assert region is not None and region.country is None and region.city == "长沙市"


WUHOU_NEWS = Region(province="四川省", city="成都市", district="武侯区")


@pytest.mark.parametrize(("title", "body", "district"), [
    ("锦江区春熙路一商铺凌晨起火 2人死亡", "成都市锦江区春熙路街道一商铺发生火灾，锦江区消防救援大队到场处置。锦江区应急管理局表示…",
     "锦江区"),
    ("双流区一幼儿园被指伙食差", "成都市双流区东升街道一幼儿园被家长反映伙食质量差。", "双流区"),
])
def test_a_sibling_district_the_text_names_beats_the_sources_district(title: str, body: str, district: str) -> None:
    """A district press office's site reports a fire in another district of the city (a deployment review): its 成都市
    used to count for the site's own 武侯区 as much as for 锦江区, and the post was put into a 武侯区 case."""
    region = resolve_region(f"{title}\n{body}", WUHOU_NEWS, len(title))
    assert region is not None and (region.city, region.district) == ("成都市", district)


@pytest.mark.parametrize(("title", "body", "district"), [
    # board messages 249382 and 236881: the title's district, though the body names the city and another district
    ("反映A4区高岭村集体经济成员的认定问题", "我是A市A4区捞刀河镇高岭村水塘组村民；母亲是A7县水渡河范家村人。户口迁回了A市A4区捞刀河镇高岭村",
     "A4区"),
    ("在A4区兰亭风景小区路段施工，农民工被压断腿无人管", "A市A4区兰亭风景小区路段施工，一名农民工被压断腿，A市A2区的工友说…",
     "A4区"),
    ("A3区锦和园小区停水三天，工作人员未及时抢修",  # 242711
     "A市A3区锦和园小区临时停水事宜并未记录在案，而其他A2区、A5区、A4区等临时停水都有时间及进度安排", "A3区"),
])
def test_the_district_in_the_headline_beats_its_city_named_with_other_districts(title: str, body: str,
                                                                                  district: str) -> None:
    region = resolve_region(f"{title}\n{body}", None, len(title), addressed=True)
    assert region is not None and region.district == district


@pytest.mark.parametrize(("title", "source", "city"), [
    ("湖南张家界选出20名网友监督公务员招考面试", CHANGSHA_BOARD, "张家界市"),  # THUCNews headlines
    ("四川德阳08年10月自考补报名时间确定", WUHOU_NEWS, "德阳市"),
])
def test_a_city_the_headline_names_beats_the_sources_city_in_the_same_province(title: str, source: Region,
                                                                                 city: str) -> None:
    """湖南 in the headline used to count for the 长沙 source as much as for 张家界."""
    region = resolve_region(title, source, len(title))
    assert region is not None and region.city == city


def test_a_case_cited_from_elsewhere_does_not_move_the_headlines_place() -> None:
    """Board message 282987 cites a Hainan court ruling (海南, then 海南省 twice) under a headline naming A市."""
    title = "A市计生委怎么不办理独生子女证？"
    body = "据海南一案例，法院判定海南省卫生健康委员会的通知与上位法相抵触，建议海南省卫生健康委员会及时修改"
    region = resolve_region(f"{title}\n{body}", None, len(title), addressed=True)
    assert region is not None and region.city == "A市" and region.province is None


@pytest.mark.parametrize("source", [WUHOU_NEWS, Region(province="四川省", city="成都市")])
def test_a_street_community_named_after_a_prefecture_stays_in_the_sources_city(source: Region) -> None:
    """玉林街道 is a 街道 of 成都's 武侯区; it was taken for 广西玉林市 and the post left the jurisdiction."""
    title = "玉林街道芳草社区老旧小区加装电梯进展缓慢"
    region = resolve_region(f"{title}\n玉林街道芳草社区多名居民反映，加装电梯项目已公示半年仍未开工。", source, len(title))
    assert region is not None and (region.province, region.city) == ("四川省", "成都市")


@pytest.mark.parametrize(("title", "body", "district"), [
    # board messages 249056 and 229436
    ("A3区叶子旅馆附近老北京涮羊肉油烟扰民", "我是旅馆租客…原来是楼下老北京刷羊肉店做烧烤，根本就是直排大气当中", "A3区"),
    ("A7县楚绣城**栋新疆羊肉串太吵了", "楚绣城**栋新疆羊肉串天天晚上店外经营吵的要死", "A7县"),
])
def test_a_dish_or_shop_named_after_a_place_is_no_place(title: str, body: str, district: str) -> None:
    """老北京涮羊肉 placed a complaint about an A3区 restaurant's fumes in 北京市."""
    region = resolve_region(f"{title}\n{body}", None, len(title), addressed=True)
    assert region is not None and region.province is None and region.district == district


@pytest.mark.parametrize("body", [
    "尊敬的张市长，您好！我叫李**，来自湖北仙桃，虽然已经在广铁集团A市公司工作了十几年，但是依旧没有一套房子",  # 188801
    "本人来自贵州省黔西南州兴义市，在A市代理了这家公司的电动车，被骗23.6万元",  # 217232
    "我是湖北仙桃人，在A市买的房子五年了还办不了房产证",
])
def test_where_the_writer_comes_from_does_not_move_a_local_complaint(body: str) -> None:
    """「来自湖北仙桃」 placed a complaint to A市's mayor in 湖北省仙桃市."""
    region = resolve_region(f"投诉开发商的霸王规定\n{body}", None, 10, addressed=True)
    assert region is not None and region.province is None and region.city == "A市"


@pytest.mark.parametrize(("text", "district"), [
    ("建议地铁7号线在远大路A9市河大桥两岸设站", None),  # the river 浏阳河 (masked), not 浏阳市
    ("A9市河汉桥东岸步行道的减速带害人摔倒", None),
    ("新A1区之都佳苑小区违建，开发商拒不整改", None),  # an estate named after 芙蓉区; it lies in A5区
])
def test_a_masked_name_inside_a_river_or_estate_name_is_no_district(text: str, district: str | None) -> None:
    """The organiser's masking turned 浏阳河 into 「A9市河」: 26 board letters about its bridges, tunnel and banks in the
    city's districts were placed in A9市."""
    region = resolve_region(text, Region(city="A市"), len(text), addressed=True)
    assert region is not None and region.city == "A市" and region.district == district
    alone = resolve_region(text)  # the mask still names the city (a review: 「A9市河畔…」 lost A市 too)
    assert alone is not None and alone.city == "A市" and alone.district is None


@pytest.mark.parametrize(("text", "province"), [("CZ6736广州至三亚延误。广州小面积延误，三亚流量正常", "广东省"),
                                               ("重庆小面积降雨，气温下降", "重庆市")])
def test_xiaomianji_is_no_noodle(text: str, province: str) -> None:
    """小面积 (a small area) is no 小面 (the noodle): 「广州小面积延误」 lost 广州 to the 三亚 of the same post."""
    region = resolve_region(text)
    assert region is not None and region.province == province
