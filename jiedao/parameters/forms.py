from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.parameters.registry import ParameterSpec


def display_value(spec: ParameterSpec, value) -> str:
    if spec.kind is bool:
        return str(_("是") if value else _("否"))
    return str(value)


def _help_text(spec: ParameterSpec) -> str:
    parts = [str(spec.help_text)] if spec.help_text else []
    if spec.minimum is not None or spec.maximum is not None:
        low = "—" if spec.minimum is None else spec.minimum
        high = "—" if spec.maximum is None else spec.maximum
        parts.append(str(_("取值范围：%(low)s 至 %(high)s。")) % {"low": low, "high": high})
    parts.append(str(_("默认值：%(default)s。")) % {"default": display_value(spec, spec.default)})
    return " ".join(parts)


class ParameterForm(StyledForm):
    spec: ParameterSpec

    @property
    def raw_value(self):
        return self.cleaned_data.get(self.spec.key)


def parameter_form_class(spec: ParameterSpec) -> type[ParameterForm]:
    """A form with one field named after the parameter's key, so service errors (keyed by the key) show
    next to it. Numbers are entered as text: the declaration's own parsing gives the Chinese message for
    "not a number", "below the minimum" and "above the maximum", the same as the API.
    """
    if spec.kind is bool:
        field = forms.BooleanField(label=spec.label, required=False, help_text=_help_text(spec))
    else:
        attrs = (
            {"inputmode": "decimal" if spec.kind is float else "numeric"} if spec.kind in (int, float) else {}
        )
        field = forms.CharField(
            label=spec.label, required=False, help_text=_help_text(spec), widget=forms.TextInput(attrs=attrs)
        )
    return type("ParameterForm", (ParameterForm,), {spec.key: field, "spec": spec})
