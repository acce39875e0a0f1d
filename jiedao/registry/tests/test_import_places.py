"""Importing households, houses and enterprises: upserts on the household number, the full address and the
USCC; rows refused with Chinese reasons; records of other communities never touched; re-imports idempotent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope
from jiedao.registry import services
from jiedao.registry.models import Building, Enterprise, House, Household, HouseholdMember
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.tests.test_import_persons import FULLWIDTH, errors_of, run, upload, workbook, wrong_check
from jiedao.registry.validators import make_uscc
from jiedao.spreadsheets.services import import_start

run_jobs = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tree, staff(tree.community_a1), staff(tree.community_b1)


HOUSE_HEADERS = ["序号", "门牌", "楼栋", "单元", "室号", "房屋用途", "产权性质", "产权人", "建筑面积（㎡）", "是否出租", "经度", "纬度"]  # fmt: skip


@run_jobs
def test_houses_upsert_on_the_full_address_and_create_buildings(world):
    tree, clerk, other_clerk = world
    kept = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="401")
    house(other_clerk, tree.community_b1, street="清波街1号", building="1幢", unit="", room="101")
    rows = [
        [1, "幸福路12号", "3幢", "2单元", "301", "住宅", "私有", "张三", 89.5, "否", 120.16, 30.244],
        [
            2,
            " 幸福路12号 ",
            "3幢",
            "2单元",
            "３０２".translate(FULLWIDTH),
            "commercial",
            "公房",
            None,
            "60",
            "是",
        ],
        [3, "幸福路12号", None, "2单元", "303"],  # no building
        [4, "幸福路12号", "3幢", "2单元", "401", None, None, "李四", 75],  # exists: updated
        [5, "清波街1号", "1幢", None, "102"],  # the building belongs to another community
        [6, "柳浪路8号", "1幢", "1单元", "101", "仓库"],  # not a use
        [7, "柳浪路8号", "1幢", "1单元", "102", None, None, None, -5],  # not an area
        [
            8,
            "柳浪路8号",
            "1幢",
            "1单元",
            "103",
            None,
            None,
            None,
            None,
            None,
            30.2,
            120.1,
        ],  # swapped coordinates
    ]
    job = run(clerk, tree.community_a1, workbook(rows, HOUSE_HEADERS, "柳浪社区房屋台账"), "registry-houses")
    assert (job.created_count, job.updated_count, job.error_count) == (2, 1, 5)
    assert [(n, c, r) for n, c, _v, r in errors_of(job)] == [
        (6, "楼栋", "房屋必须填写楼栋"),
        (8, "楼栋", "楼栋 清波街1号1幢 已登记在其他社区。"),
        (9, "用途", "“仓库”不是有效的房屋用途，请填写代码或名称。"),
        (10, "建筑面积", "建筑面积应大于 0 且小于 100000 平方米。"),
        (11, "纬度", "纬度 120.1 不在我国范围内，是否与经度填反了？"),
        (11, "经度", "经度 30.2 不在我国范围内。"),
    ]
    first = House.objects.get(full_address="幸福路12号3幢2单元301")
    assert (first.use, first.ownership, first.owner_name, first.area, first.is_rented) == (
        "residential",
        "private",
        "张三",
        Decimal("89.50"),
        False,
    )
    assert (first.latitude, first.longitude, first.org) == (
        Decimal("30.244000"),
        Decimal("120.160000"),
        tree.community_a1,
    )
    second = House.objects.get(full_address="幸福路12号3幢2单元302")
    assert (second.use, second.ownership, second.is_rented, second.area) == ("commercial", "public", True, 60)
    assert second.building == first.building == kept.building  # the existing building, not a new one
    kept.refresh_from_db()
    assert (kept.owner_name, kept.area) == ("李四", 75)
    assert Building.objects.filter(org=tree.community_a1).count() == 1
    event = AuditEvent.objects.get(event_name="registry.house.imported")
    assert event.message == f"导入任务 #{job.pk} 第 4–8 行：新增 2，更新 1"

    again = run(clerk, tree.community_a1, workbook(rows, HOUSE_HEADERS), "registry-houses")
    assert (again.created_count, again.updated_count, again.error_count) == (0, 3, 5)
    assert House.objects.count() == 4 and Building.objects.count() == 2


ENTERPRISE_HEADERS = ["序号", "统一社会信用代码", "企业名称", "法定代表人", "所属行业", "经营地址", "从业人数", "成立日期", "经营状态", "联系电话"]  # fmt: skip


@run_jobs
def test_enterprises_upsert_on_the_uscc(world):
    tree, clerk, other_clerk = world
    shop = house(clerk, tree.community_a1, street="柳浪路8号", building="1幢", unit="", room="101")
    new_code, here_code, there_code = (
        make_uscc("330110", "00010001"),
        make_uscc("330110", "00010002"),
        make_uscc("330110", "00010003"),
    )
    here = services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name="老店",
            uscc=here_code,
            legal_representative="王五",
            address="柳浪路9号",
        ),
    )
    services.enterprise_create(
        actor=other_clerk,
        data=services.EnterpriseData(
            org=tree.community_b1, name="外店", uscc=there_code, legal_representative="赵六", address="清波街"
        ),
    )
    with_o = new_code[:10] + "O" + new_code[11:]
    future = timezone.localdate() + timedelta(days=30)
    rows = [
        [
            1,
            new_code.lower(),
            "柳浪便利店",
            "张三",
            "零售业",
            "柳浪路8号 1幢101",
            12,
            "2020/5/1",
            "在营",
            "0571-87654321",
        ],
        [2, here_code, "老店（更名）", "王五", None, "柳浪路9号", "8", None, "停业"],
        [3, with_o, "字母店", "李四", None, "柳浪路10号"],
        [4, there_code, "外店", "赵六", None, "清波街"],
        [5, make_uscc("330110", "00010004"), "未来店", "孙八", None, "柳浪路11号", None, future],
        [6, make_uscc("330110", "00010005"), "无名氏", None, None, "柳浪路12号"],
    ]
    data = workbook(rows, ENTERPRISE_HEADERS, "柳浪社区企业名录")
    job = run(clerk, tree.community_a1, data, "registry-enterprises")
    assert (job.created_count, job.updated_count, job.error_count) == (1, 1, 4)
    assert [(n, c, r) for n, c, _v, r in errors_of(job)] == [
        (6, "统一社会信用代码", "统一社会信用代码不能包含字母 I、O、Z、S、V，第11位为 O。"),
        (7, "统一社会信用代码", "该统一社会信用代码已登记在其他社区。"),
        (8, "成立日期", "成立日期不能晚于今天。"),
        (9, "法定代表人", "必填项“法定代表人”为空"),
    ]
    created = Enterprise.objects.get(uscc=new_code)
    assert (created.name, created.house, created.employees, created.established_on) == (
        "柳浪便利店",
        shop,
        12,
        date(2020, 5, 1),
    )
    assert (created.contact_phone, created.status, created.org) == (
        "057187654321",
        "operating",
        tree.community_a1,
    )
    here.refresh_from_db()
    assert (here.name, here.status, here.employees) == ("老店（更名）", "suspended", 8)
    assert Enterprise.objects.get(uscc=there_code).org == tree.community_b1
    assert AuditEvent.objects.filter(event_name="registry.enterprise.imported").count() == 1

    again = run(clerk, tree.community_a1, data, "registry-enterprises")
    assert (again.created_count, again.updated_count) == (0, 2)
    assert Enterprise.objects.count() == 3


HOUSEHOLD_HEADERS = ["序号", "户号", "户别", "户籍地址", "户主公民身份号码", "户主姓名", "实际居住地址"]


@run_jobs
def test_households_need_their_head_registered_in_the_community(world):
    tree, clerk, other_clerk = world
    home = house(clerk, tree.community_a1)
    head, kept_head = (
        person(clerk, tree.community_a1, name="张三"),
        person(clerk, tree.community_a1, name="王五"),
    )
    outsider = person(other_clerk, tree.community_b1, name="外社区")
    kept = services.household_create(
        actor=clerk, org=tree.community_a1, number="H200", registered_address="旧地址", head=kept_head
    )
    bad_check, right = wrong_check(new_id_number())
    rows = [
        [
            1,
            "H100",
            "家庭户",
            "浙江省杭州市明湖区幸福路12号",
            head.id_number,
            "张三",
            "幸福路12号3幢2单元301",
        ],
        [2, "H101", "2", "清波街1号", outsider.id_number],
        [3, "H102", None, "某地", bad_check],
        [4, "H200", None, "新地址", kept_head.id_number, "王五"],
        [5, "H103", None, "某地", new_id_number()],
        [6, "H104", None, "某地", head.id_number, "李四"],
        [7, "H105", None, "某地", head.id_number, None, "不存在的地址1号"],
        [8, "H106", None, "某地", head.id_number],
    ]
    data = workbook(rows, HOUSEHOLD_HEADERS, "柳浪社区户籍台账")
    job = run(clerk, tree.community_a1, data, "registry-households")
    assert (job.created_count, job.updated_count, job.error_count) == (1, 1, 6)
    assert [(n, c, r) for n, c, _v, r in errors_of(job)] == [
        (5, "户主身份证号", "户主未在本社区登记，请先登记户主。"),
        (6, "户主身份证号", f"公民身份号码校验位错误：第18位应为 {right}，实际为 {bad_check[17]}。"),
        (8, "户主身份证号", "户主未在本社区登记，请先登记户主。"),
        (9, "户主姓名", "户主姓名与登记的姓名（张三）不符。"),
        (10, "实际居住地址", "未找到本社区已登记的房屋“不存在的地址1号”，请先登记房屋或核对地址。"),
        (11, "户主身份证号", "同一人不能是多个户的户主。"),
    ]
    created = Household.objects.get(number="H100")
    assert (created.head, created.kind, created.house, created.org) == (head, "1", home, tree.community_a1)
    assert list(created.members.values_list("person", "relation")) == [(head.pk, "02")]
    kept.refresh_from_db()
    assert kept.registered_address == "新地址"

    again = run(clerk, tree.community_a1, data, "registry-households")
    assert (again.created_count, again.updated_count, again.error_count) == (0, 2, 6)
    assert Household.objects.count() == 2 and HouseholdMember.objects.count() == 2


@run_jobs
def test_every_registry_import_is_limited_to_the_clerks_community(world):
    tree, clerk, _other = world
    for spec, headers in (
        ("registry-houses", HOUSE_HEADERS),
        ("registry-enterprises", ENTERPRISE_HEADERS),
        ("registry-households", HOUSEHOLD_HEADERS),
    ):
        with pytest.raises(OutOfScope):
            import_start(
                actor=clerk, spec_key=spec, org=tree.community_b1, uploaded_file=upload(workbook([], headers))
            )


@pytest.mark.django_db  # the drop-down lists come from the dictionaries
@pytest.mark.parametrize(
    "key", ["registry-persons", "registry-households", "registry-houses", "registry-enterprises"]
)
def test_templates_download_and_are_recognised(key, tmp_path):
    from jiedao.spreadsheets.readers import detect_header, open_rows
    from jiedao.spreadsheets.services import template_workbook
    from jiedao.spreadsheets.specs import get_spec

    spec = get_spec(key)
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook(spec))
    with open_rows(path) as source:
        match = detect_header(source, spec)
    assert match.header_row == 2 and set(match.columns.values()) == {column.key for column in spec.columns}
