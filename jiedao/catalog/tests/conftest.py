import pytest


@pytest.fixture(autouse=True)
def _dibao_process(request):
    """The factories' items name the process "dibao" (item_data): with the test org tree, a deployed process
    of that key at the district, so an item may name it and be published (catalog services check)."""
    if "tree" not in request.fixturenames:
        return
    tree = request.getfixturevalue("tree")
    deploy_process(tree.district, "dibao")


def deploy_process(org, key: str, *, status: str = "deployed", name: str = "", version: int = 1):
    from jiedao.workflow.models import ProcessDefinition

    return ProcessDefinition.objects.create(
        org=org,
        key=key,
        name=name or f"{key} 审批",
        bpmn_xml=(
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
            ' xmlns:jiedao="http://jiedao.org.cn/schema/bpmn/1.0">'
            f'<bpmn:process id="{key}" isExecutable="true" jiedao:businessOnly="true"/></bpmn:definitions>'
        ),
        status=status,
        version=version,
    )
