"""线上线下一体: an application a window registers for a person with a real-name account goes on that account's
page (marked 窗口办理), as if filed online — at registration, or when the account is verified later — matched
by ID number, exact name and the account's mobile number as the contact phone; nobody else ever sees it."""

from __future__ import annotations

import datetime as dt
from functools import partial
from itertools import count

import pytest

from jiedao.applications import services
from jiedao.applications.choices import Outcome
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    make_item,
    make_resident,
    pdf,
    resident_client,
    uploads,
    walk_in,
)
from jiedao.audit.models import AuditEvent
from jiedao.catalog.choices import Audience
from jiedao.catalog.models import Material
from jiedao.core.testing import client_for, make_user
from jiedao.registry.validators import make_id_number, make_uscc
from jiedao.workflow.tests.racing import assert_chain_verifies, both_orders, require_postgresql, run

pytestmark = pytest.mark.django_db

HOME = "/hall/me/"
_serial = count(1)


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1, name="老年优待证办理")


def page(resident, url=HOME):
    return resident_client(resident).get(url)


def detail(application) -> str:
    return f"/hall/me/applications/{application.pk}/"


def test_a_window_application_of_a_verified_resident_is_on_their_page_marked_at_window(clerk, item):
    resident = make_resident(name="张三明")
    application = walk_in(clerk, item, name="张三明", id_number=resident.id_number, phone=resident.phone)

    home = page(resident).content.decode()
    assert application.tracking_code in home and "老年优待证办理" in home and "窗口办理" in home
    response = page(resident, detail(application))
    assert response.status_code == 200
    assert "窗口办理" in response.content.decode() and application.tracking_code in response.content.decode()
    # the clerk sees that the applicant can follow it online
    staff_page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert "已归入申请人实名认证的群众账号" in staff_page
    assert AuditEvent.objects.filter(
        event_name="applications.application.linked", target_id=str(application.pk), actor=clerk
    ).exists()


def test_an_online_application_is_not_marked_at_window(clerk, item):
    resident = make_resident()
    application = services.application_submit(resident=resident, item=item, uploads=uploads())
    assert application.tracking_code in page(resident).content.decode()
    assert "窗口办理" not in page(resident).content.decode()
    assert "窗口办理" not in page(resident, detail(application)).content.decode()


def test_a_window_application_of_someone_else_is_on_nobodys_page(clerk, item):
    resident = make_resident(name="张三明")
    stranger = walk_in(clerk, item, name="李四", phone=resident.phone)  # another person, the same phone

    assert stranger.tracking_code not in page(resident).content.decode()
    assert page(resident, detail(stranger)).status_code == 404
    unverified = make_resident(phone="13700000002", verified=False)
    visitor = walk_in(clerk, item, name="王五", phone="13700000002")
    assert Application.objects.get(pk=visitor.pk).resident is None
    assert page(unverified, detail(visitor)).status_code == 302  # sent to real-name verification first


def test_another_resident_never_sees_it(clerk, item):
    owner = make_resident(name="张三明")
    other = make_resident(name="张三明")  # the same name, another ID number
    application = walk_in(clerk, item, name="张三明", id_number=owner.id_number, phone=owner.phone)

    assert application.tracking_code not in page(other).content.decode()
    browser = resident_client(other)
    assert browser.get(detail(application)).status_code == 404
    for action, data in (
        ("supply", {"files": pdf()}),
        ("rate", {"level": 1}),
        ("withdraw", {"reason": "不办了"}),
    ):
        assert browser.post(f"{detail(application)}{action}/", data).status_code == 404
    assert Application.objects.get(pk=application.pk).resident == owner


def test_a_different_name_does_not_link(clerk, item):
    resident = make_resident(name="张三明")
    application = walk_in(clerk, item, name="张三敏", id_number=resident.id_number, phone=resident.phone)

    assert Application.objects.get(pk=application.pk).resident is None
    assert application.tracking_code not in page(resident).content.decode()
    assert page(resident, detail(application)).status_code == 404


def test_someone_who_knows_the_name_and_number_but_has_another_phone_gets_nothing(clerk, item, tree):
    """Real-name verification is declared: a relative or a go-between who knows a person's name and ID number
    can verify an account with their own phone. The window applications of that person, with their
    materials and certificates, stay off that account: the window recorded the person's own phone."""
    number = make_id_number("110105", dt.date(1958, 1, 9), 23)
    own = walk_in(clerk, item, name="孙八", id_number=number, phone="13700000006")
    impostor = make_resident(phone="13700000007", verified=False)
    services.resident_verify_identity(resident=impostor, real_name="孙八", id_number=number)
    assert Application.objects.get(pk=own.pk).resident is None
    assert page(impostor, detail(own)).status_code == 404
    # Registered while the impostor's account is verified: still not theirs.
    other_item = make_item(tree.community_a1, name="高龄津贴申领")
    later = walk_in(clerk, other_item, name="孙八", id_number=number, phone="13700000006")
    assert Application.objects.get(pk=later.pk).resident is None


def test_verifying_later_puts_the_earlier_window_applications_on_the_account(clerk, item, tree):
    number = make_id_number("110105", dt.date(1962, 3, 8), 17)
    earlier = walk_in(clerk, item, name="赵六", id_number=number, phone="13700000003")
    other_item = make_item(tree.community_a1, name="高龄津贴申领")
    misnamed = walk_in(clerk, other_item, name="赵陆", id_number=number, phone="13700000003")  # not the name
    account = make_resident(phone="13700000003", verified=False)
    assert earlier.tracking_code not in page(account).content.decode()  # not verified yet: no page at all

    browser = resident_client(account)
    response = browser.post(
        "/hall/account/identity/", {"real_name": "赵六", "id_number": number}, follow=True
    )
    body = response.content.decode()
    assert "您在窗口办理的 1 件办件已归入“我的办件”" in body
    assert earlier.tracking_code in body and "窗口办理" in body
    assert misnamed.tracking_code not in body
    assert Application.objects.get(pk=misnamed.pk).resident is None
    assert AuditEvent.objects.filter(
        event_name="applications.application.linked",
        target_id=str(earlier.pk),
        actor_name=f"resident:{account.pk}",
    ).exists()


def test_the_resident_supplies_deferred_materials_and_rates_online_but_withdraws_at_the_window(clerk, item):
    id_card = Material.objects.create(item=item, name="居民身份证", required=True, sort_order=1)
    photo = Material.objects.create(
        item=item, name="近期免冠照片", required=True, tolerable=True, sort_order=2
    )
    resident = make_resident(name="张三明")
    application = services.application_register_walk_in(
        actor=clerk,
        item=item,
        applicant_name="张三明",
        applicant_id_number=resident.id_number,
        applicant_phone=resident.phone,
        uploads=[services.Upload(file=pdf(), material=id_card, label=id_card.name)],
    )
    services.application_accept(
        actor=clerk,
        application=application,
        deferral=services.Deferral(materials=[photo], committed=True),
    )
    browser = resident_client(resident)
    body = browser.get(detail(application)).content.decode()
    assert "补交容缺材料" in body and "该办件已受理，不能在网上撤回" in body

    refused = browser.post(f"{detail(application)}withdraw/", {"reason": "不办了"})
    assert "该办件已受理，不能在网上撤回" in refused.content.decode()
    supplied = browser.post(
        f"{detail(application)}supply/", {f"material_{photo.pk}": pdf("照片.pdf")}, follow=True
    )
    assert "容缺材料已补交" in supplied.content.decode()
    assert application.deferred_materials.get().supplied_at is not None

    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    rated = browser.post(f"{detail(application)}rate/", {"level": 5, "comment": ""}, follow=True)
    assert "感谢您的评价" in rated.content.decode()
    assert Application.objects.get(pk=application.pk).rating.channel == "online"


def test_an_enterprise_application_goes_on_the_account_only_of_the_person_who_applied(clerk, tree):
    item = make_item(tree.community_a1, name="门前三包责任书签订", audience=Audience.ENTERPRISE)
    resident = make_resident(name="张三明")
    uscc = make_uscc("330110", "12345678")

    def register(name, id_number):
        return services.application_register_walk_in(
            actor=clerk,
            item=item,
            applicant_name=name,
            applicant_id_number=id_number,
            applicant_phone=resident.phone,
            enterprise_name="星火科技有限公司",
            enterprise_uscc=uscc,
            uploads=uploads(),
        )

    by_someone_else = register("李四", "")
    by_the_resident = register("张三明", resident.id_number)
    home = page(resident).content.decode()
    assert by_the_resident.tracking_code in home
    assert by_someone_else.tracking_code not in home
    assert Application.objects.get(pk=by_someone_else.pk).resident is None


@pytest.mark.django_db(transaction=True)
def test_registered_at_a_window_while_verifying_on_the_phone_it_still_reaches_the_account(clerk, item):
    """The visitor verifies the account on the phone while the clerk registers the application: in either
    order, or at the same moment, the application ends on the account."""
    require_postgresql()
    for runner, order in both_orders("window", "phone"):
        number = make_id_number("110105", dt.date(1970, 7, 1), next(_serial))
        account = make_resident(phone=f"1360000{next(_serial):04d}", verified=False)
        calls = {
            "window": partial(walk_in, clerk, item, name="钱七", id_number=number, phone=account.phone),
            "phone": partial(
                services.resident_verify_identity, resident=account, real_name="钱七", id_number=number
            ),
        }
        results = run(runner, order, calls)
        assert {kind for kind, _value in results.values()} == {"ok"}, results
        application = Application.objects.get(applicant_id_hash=results["window"][1].applicant_id_hash)
        assert application.resident_id == account.pk, (runner.__name__, order)
        assert (
            AuditEvent.objects.filter(
                event_name="applications.application.linked", target_id=str(application.pk)
            ).count()
            == 1
        )
    assert_chain_verifies()
