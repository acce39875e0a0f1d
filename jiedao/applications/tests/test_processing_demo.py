"""The demo 低保 application: submitted online by a demo resident, accepted, waiting for `shequ`."""

import datetime as dt
import io

from jiedao.accounts.models import User
from jiedao.applications import demo, processing
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application
from jiedao.applications.selectors import missing_required_materials
from jiedao.catalog import demo as catalog_demo
from jiedao.core import demo as core_demo
from jiedao.orgs.models import OrgUnit
from jiedao.registry import services as registry
from jiedao.registry.tests import factories as people
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import selectors


def test_the_demo_application_waits_in_the_community_inbox(db):
    core_demo.load()
    community = OrgUnit.objects.get(division_code=demo.COMMUNITY_CODE)
    clerk = people.staff(community)
    head = people.person(clerk, community, name="周桂芳", id_number=people.new_id_number(dt.date(1958, 2, 3)))
    registry.household_create(
        actor=clerk, org=community, number="330110001001-9001", registered_address="柳浪路 1 号", head=head
    )
    workflow_demo.load()
    catalog_demo.load()
    out = io.StringIO()
    demo.load(stdout=out)
    demo.load(stdout=out)
    application = Application.objects.get(item__process_key="dibao")
    assert application.status == ApplicationStatus.ACCEPTED and application.channel == "online"
    assert application.resident.person == head
    assert missing_required_materials(application) == []  # the window accepted it complete
    assert "最低生活保障申请书" in {m.label for m in application.materials.all()}
    instance = processing.instance_for(application)
    assert instance.definition.key == "dibao" and instance.org == community
    shequ = User.objects.get(username="shequ")
    # (the demo resident's 临时救助, accepted with 容缺, waits in the same inbox: test_demo_deferrals)
    assert [t.name for t in selectors.todo_tasks(shequ).filter(instance=instance)] == ["社区入户核实"]
    assert "周桂芳" in instance.data["household_text"]
    assert "待柳浪社区 shequ 入户核实" in out.getvalue()
    # every other demo catalog item of each sub-district has its (generic) process
    definitions = instance.definition.__class__.objects
    for subdistrict in ("清波街道", "望江街道"):
        deployed = definitions.filter(org__name=subdistrict)
        assert {"juzhuzheng", "qiye_kaiban"} <= set(deployed.values_list("key", flat=True))
        assert 'id="review_office"' in deployed.get(key="qiye_kaiban").bpmn_xml  # parallel departments
