from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm


class DictionaryItemForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    abbreviation = forms.CharField(
        label=_("简称或字母代码"), max_length=50, required=False, help_text=_("可不填，如民族字母代码 HA。")
    )
    sort_order = forms.IntegerField(
        label=_("排序"), min_value=0, required=False, help_text=_("数字小的排在前面；不填则排在最后。")
    )


class DictionaryItemCreateForm(DictionaryItemForm):
    code = forms.CharField(
        label=_("代码"),
        max_length=32,
        help_text=_("按标准填写代码，如“01”。保存后不能修改：其他记录按代码引用字典项。"),
    )

    field_order = ["code", "name", "abbreviation", "sort_order"]
