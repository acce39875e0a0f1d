"""Every page renders for someone allowed to see it (templates, URLs, forms)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiedao.applications import services
from jiedao.applications.models import ObjectionTask, PublicNotice, Rectification
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    make_item,
    make_resident,
    pdf,
    rate_by_link,
    submit,
    walk_in,
)
from jiedao.applications.tests.test_residents import resident_client
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

ALL = (
    *CLERK_PERMISSIONS,
    "applications.extend_application",
    "applications.view_inquiry",
    "applications.add_inquiry",
    "applications.change_inquiry",
    "applications.view_agencyassignment",
    "applications.add_agencyassignment",
    "applications.view_rating",
    "applications.view_rectification",
    "applications.change_rectification",
    "applications.view_objectiontask",
    "applications.change_objectiontask",
)


def test_staff_pages_render(tree):
    clerk = make_user(tree.community_a1, *ALL)
    item = make_item(tree.community_a1, publishes_result=True)
    pending = walk_in(clerk, item)
    done = walk_in(clerk, item)
    services.application_accept(actor=clerk, application=done)
    services.application_conclude(actor=clerk, application=done, outcome="approved", text="准予")
    rate_by_link(done, 1)
    notice = PublicNotice.objects.get()
    services.objection_file(notice=notice, name="甲", phone="13500135000", content="异议")
    inquiry = services.inquiry_create(actor=clerk, visitor_name="乙", visitor_phone="", question="问")
    client = client_for(clerk)
    urls = [
        "/workbench/",
        "/hall/staff/applications/",
        "/hall/staff/applications/new/",
        f"/hall/staff/applications/new/?item={item.pk}",
        f"/hall/staff/applications/{pending.pk}/",
        f"/hall/staff/applications/{done.pk}/",
        *(f"/hall/staff/applications/{pending.pk}/{a}/" for a in ("accept", "correct", "reject", "resubmit")),
        f"/hall/staff/applications/{done.pk}/conclude/",
        f"/hall/staff/applications/{done.pk}/extend/",
        "/hall/staff/inquiries/",
        "/hall/staff/inquiries/new/",
        f"/hall/staff/inquiries/{inquiry.pk}/",
        "/hall/staff/agency/",
        "/hall/staff/agency/new/",
        "/hall/staff/agency/mine/",
        "/hall/staff/ratings/",
        "/hall/staff/rectifications/",
        f"/hall/staff/rectifications/{Rectification.objects.get().pk}/close/",
        "/hall/staff/objections/",
        f"/hall/staff/objections/{ObjectionTask.objects.get().pk}/resolve/",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    body = client.get("/workbench/").content.decode()
    assert "待受理办件" in body and "我负责的首问" in body and "待整改的差评" in body


def test_public_and_resident_pages_render(tree):
    clerk = make_user(tree.community_a1, *ALL)
    item = make_item(tree.community_a1)
    resident = make_resident()
    in_correction = submit(resident, item)
    services.application_request_correction(actor=clerk, application=in_correction, items=["补充户口簿"])
    finished = submit(resident, make_item(tree.community_a1))  # one open application per item and resident
    services.application_accept(actor=clerk, application=finished)
    services.application_conclude(actor=clerk, application=finished, outcome="approved")
    anonymous = Client()
    for url in (
        "/hall/",
        "/hall/track/",
        "/hall/notices/",
        "/hall/notices/?archived=1",
        "/hall/account/login/",
    ):
        assert anonymous.get(url).status_code == 200, url
    client = resident_client(resident)
    for url in ("/hall/", "/hall/me/", f"/hall/me/apply/{item.pk}/", f"/hall/me/applications/{finished.pk}/"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/hall/me/applications/{in_correction.pk}/").content.decode()
    assert "补充户口簿" in page and "提交补正材料" in page
    assert "评价本次服务" in client.get(f"/hall/me/applications/{finished.pk}/").content.decode()
    response = client.post(f"/hall/me/applications/{in_correction.pk}/resubmit/", {"other": [pdf()]})
    assert response.status_code == 302
    response = client.post(f"/hall/me/apply/{finished.item_id}/", {"other": [pdf()]})  # concluded: again
    assert response.status_code == 302
