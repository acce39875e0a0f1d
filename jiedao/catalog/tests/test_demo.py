from jiedao.catalog import demo as catalog_demo
from jiedao.catalog.models import Announcement, ServiceItem
from jiedao.core import demo as core_demo
from jiedao.core.scope import has_permission


def test_demo_catalog_is_valid_and_idempotent(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    core_demo.load()
    catalog_demo.load()
    items = ServiceItem.objects.count()
    announcements = Announcement.objects.count()
    catalog_demo.load()
    assert ServiceItem.objects.count() == items and Announcement.objects.count() == announcements
    assert items >= 26
    for item in ServiceItem.objects.all():
        item.full_clean()  # promised ≤ statutory, required fields
        if item.availability == "online":
            assert item.process_key, item.code
    dibao = ServiceItem.objects.get(code="QB-MZ-001")
    assert dibao.process_key == "dibao" and dibao.publishes_result and dibao.org.name == "清波街道"
    assert dibao.materials.count() >= 5
    form = dibao.materials.get(name="最低生活保障申请书")
    assert form.blank_form.name.endswith(".xlsx") and form.sample.name.endswith(".xlsx")
    from django.test import Client

    download = Client().get(f"/guide/materials/{form.pk}/blank/")
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert ServiceItem.objects.get(code="WJ-QY-001").audience == "enterprise"
    # 居住证明开具 prints the 居住证明 itself from the registry; no other demo item prints a certificate.
    certifying = set(ServiceItem.objects.exclude(certificate_kind="").values_list("name", "certificate_kind"))
    assert certifying == {("居住证明开具", "residence")}
    assert ServiceItem.objects.filter(is_published=False).exists()
    from jiedao.catalog.selectors import current_announcements

    assert current_announcements().count() >= 5
    from jiedao.accounts.models import User

    office = User.objects.get(username="office")
    assert has_permission(office, "catalog.change_serviceitem")
    assert has_permission(User.objects.get(username="window"), "catalog.view_serviceitem")
    assert not has_permission(User.objects.get(username="sysadmin"), "catalog.view_serviceitem")


def test_running_the_demo_again_gives_an_older_database_the_certificate_without_undoing_an_office(
    db, settings, tmp_path
):
    """A database built before 出具证明类型 existed has 居住证明开具 printing nothing; running the demo again
    (as `make run` does) makes it print the 居住证明, but an item whose office cleared the field stays as the
    office left it."""
    from io import StringIO

    from jiedao.catalog import services
    from jiedao.core.testing import make_user

    settings.MEDIA_ROOT = tmp_path
    core_demo.load()
    catalog_demo.load()
    ServiceItem.objects.filter(name="居住证明开具").update(certificate_kind="")  # as an older demo built it
    wangjiang = ServiceItem.objects.get(code="WJ-SQ-001")
    office = make_user(wangjiang.org, "catalog.change_serviceitem")
    services.service_item_update(actor=office, item=wangjiang, data={"certificate_kind": "residence"})
    services.service_item_update(actor=office, item=wangjiang, data={"certificate_kind": ""})  # its choice
    out = StringIO()
    catalog_demo.load(stdout=out)
    assert ServiceItem.objects.get(code="QB-SQ-001").certificate_kind == "residence"
    assert ServiceItem.objects.get(code="WJ-SQ-001").certificate_kind == ""
    assert "1 项补填" in out.getvalue()
    again = StringIO()
    catalog_demo.load(stdout=again)
    assert "补填" not in again.getvalue()


def test_the_demo_lists_tolerable_materials_and_an_older_database_gets_them_unless_an_office_chose(
    db, settings, tmp_path
):
    """容缺受理 needs 可容缺 materials: 居住证办理's lease and job proofs and 临时救助's hardship papers. A database
    built before they were marked gets them on the next run, but a mark an office changed stays as it is."""
    from io import StringIO

    from jiedao.catalog import services
    from jiedao.catalog.models import Material
    from jiedao.core.testing import make_user

    settings.MEDIA_ROOT = tmp_path
    core_demo.load()
    catalog_demo.load()
    tolerable = set(Material.objects.filter(tolerable=True).values_list("item__code", "name"))
    assert ("QB-GA-001", "房屋租赁合同或房产证明") in tolerable
    assert ("WJ-MZ-005", "困难情况证明（医疗费用票据、事故证明等）") in tolerable
    assert len(tolerable) == 6  # three in each sub-district, every one of them a required material
    assert not Material.objects.filter(tolerable=True, required=False).exists()

    Material.objects.update(tolerable=False)  # as an older demo built them
    lease = Material.objects.get(item__code="WJ-GA-001", name="房屋租赁合同或房产证明")
    office = make_user(lease.item.org, "catalog.change_serviceitem")
    services.material_update(actor=office, material=lease, data={"tolerable": True})
    services.material_update(actor=office, material=lease, data={"tolerable": False})  # its choice
    out = StringIO()
    catalog_demo.load(stdout=out)
    again = set(Material.objects.filter(tolerable=True).values_list("item__code", "name"))
    assert again == tolerable - {("WJ-GA-001", "房屋租赁合同或房产证明")}
    assert "4 项补填" in out.getvalue()
