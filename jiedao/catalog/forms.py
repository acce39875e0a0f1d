from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.catalog.choices import DeliveryMethod, LifeEvent
from jiedao.catalog.files import material_file_name
from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.catalog.services import FORM_FILE_EXTENSIONS, ITEM_FIELDS
from jiedao.core.forms import StyledFormMixin
from jiedao.orgs.models import OrgUnit


class ServiceFormModelForm(StyledFormMixin, forms.ModelForm):
    """Model fields for the widgets and labels only: the service validates and saves."""

    def _post_clean(self):
        pass  # no model validation here: the service gives the Chinese messages and writes


class ServiceItemForm(ServiceFormModelForm):
    org = forms.ModelChoiceField(label=_("实施主体"), queryset=OrgUnit.objects.none())
    life_events = forms.MultipleChoiceField(
        label=_("人生事件"),
        choices=LifeEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("居民可按人生事件查找该事项。"),
    )
    delivery_methods = forms.MultipleChoiceField(
        label=_("送达方式"),
        choices=DeliveryMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "办结后有证照、证件等实物结果的事项选择；申请人在申请时选定，邮寄免费。只出具电子结果的不选。"
        ),
    )
    # A list of the processes that exist rather than a key typed from memory: a mistyped key left online
    # applications without a process (handled by hand) without anyone being told.
    process_key = forms.ChoiceField(
        label=_("办理流程定义"),
        required=False,
        help_text=_(
            "可网上申请的事项须选择：受理后按该流程办理。列出实施主体及其上级已建立的办件流程"
            "（设计器中勾选了“仅由办件发起”的流程）；事项发布前该流程须已发布。仅窗口办理的事项可不选。"
        ),
    )

    class Meta:
        model = ServiceItem
        fields = ["org", *ITEM_FIELDS]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("legal_basis", "conditions", "steps", "responsibility", "accountability")
        }

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs if orgs is not None else OrgUnit.objects.none()
        for name in ("statutory_limit_days", "promised_limit_days"):
            self.fields[name].required = True
        self.fields["process_key"].choices = self._process_choices(self.fields["org"].queryset)

    def _process_choices(self, orgs) -> list[tuple[str, str]]:
        """Processes of the selectable implementing bodies and the nodes above them, one line per key."""
        from jiedao.catalog.services import process_definitions_for

        names: dict[str, str] = {}
        for key, name in (
            process_definitions_for(*orgs)
            .filter(business_only=True)
            .order_by("key", "-version")
            .values_list("key", "name")
        ):
            names.setdefault(key, name)
        current = self.initial.get("process_key") or getattr(self.instance, "process_key", "")
        if current and current not in names:
            names[current] = _("（未找到该流程）")
        choices = [("", _("不指定（仅窗口办理）"))]
        choices += [(key, f"{name}（{key}）") for key, name in sorted(names.items(), key=lambda kv: kv[1])]
        return choices


FORM_FILE_HELP = _("供群众下载：PDF、OFD、Word、Excel、WPS 或图片（JPG、PNG），不超过 10 MB。")


class StoredFileInput(forms.ClearableFileInput):
    """A blank form or sample already stored: its name, linked to the staff download (the storage's own URL
    under /media/ is not served), a box to delete it, and the input to replace it, in Chinese."""

    template_name = "catalog/widgets/stored_file_input.html"
    initial_text = _("当前文件")
    clear_checkbox_label = _("删除该文件")
    input_text = _("选择新文件替换；不选择则保留当前文件")
    download_url = ""
    file_name = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["download_url"] = self.download_url
        context["widget"]["file_name"] = self.file_name or (str(value).rsplit("/", 1)[-1] if value else "")
        return context


class MaterialForm(ServiceFormModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        material = self.instance
        if material.pk is None:
            return
        for name, kind in (("blank_form", "blank"), ("sample", "sample")):
            stored = getattr(material, name)
            if stored:
                widget = self.fields[name].widget
                widget.download_url = reverse(
                    "catalog:material_file", args=[material.item_id, material.pk, kind]
                )
                widget.file_name = material_file_name(material, kind)

    class Meta:
        model = Material
        fields = [
            "name",
            "form",
            "copies",
            "required",
            "tolerable",
            "note",
            "blank_form",
            "sample",
            "sort_order",
        ]
        help_texts = {"blank_form": FORM_FILE_HELP, "sample": FORM_FILE_HELP}
        widgets = {
            name: StoredFileInput(
                attrs={"accept": ",".join(f".{ext}" for ext in sorted(FORM_FILE_EXTENSIONS))}
            )
            for name in ("blank_form", "sample")
        }


class AnnouncementForm(ServiceFormModelForm):
    org = forms.ModelChoiceField(label=_("发布单位"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Announcement
        fields = ["org", "title", "category", "body", "valid_from", "valid_until"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs if orgs is not None else OrgUnit.objects.none()
