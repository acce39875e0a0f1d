import pytest

from jiedao.parameters.registry import MANAGE_SECURITY_POLICY, PARAMETERS, ParameterSpec


@pytest.fixture
def declared(monkeypatch):
    """Declare extra parameters for one test (removed afterwards): a bool, a text, a float and a
    security-policy one."""
    specs = [
        ParameterSpec("test.flag", "测试开关", False, kind=bool, group="测试分组"),
        ParameterSpec("test.title", "测试标题", "街道", kind=str, group="测试分组"),
        ParameterSpec("test.ratio", "测试比例", 0.5, kind=float, minimum=0, maximum=1, group="测试分组"),
        ParameterSpec(
            "test.secure",
            "测试安全参数",
            3,
            minimum=1,
            maximum=9,
            group="测试分组",
            permission=MANAGE_SECURITY_POLICY,
        ),
    ]
    for spec in specs:
        monkeypatch.setitem(PARAMETERS, spec.key, spec)
    return {spec.key: spec for spec in specs}
