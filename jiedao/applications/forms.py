from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.applications.choices import Outcome, RatingLevel
from jiedao.catalog.choices import Audience, DeliveryMethod
from jiedao.core.forms import StyledForm


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


# What the picker offers: PDFs and the photos phones make (by type, so that a phone offers its gallery and
# camera, and by extension for file managers that know no types). The service decides by content.
ACCEPT = (
    "application/pdf,image/jpeg,image/png,image/webp,image/heic,image/heif,image/avif,"
    ".pdf,.jpg,.jpeg,.png,.webp,.heic,.heif,.avif"
)


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks type and size by content. An empty file is left to
    the service too, which names it (Django's own message does not say which file)."""

    def __init__(self, *args, **kwargs):
        # Added after StyledForm has styled the declared fields (an item's materials): the Bootstrap class is
        # given here. It also keeps the input within its column: a bare file input is as wide as its Chinese
        # button and caption (about 350 px), wider than a phone or a staff page at 400 % zoom.
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ACCEPT, "data-upload-check": "", "class": "form-control"}),
        )
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


FILE_HELP = _("PDF 或照片（JPG、PNG、WebP、HEIC），可选择多个文件。")


def material_label(material) -> str:
    """The material's name with whether it must be handed in (必须) or only where it applies (视情提供)."""
    if material.required:
        return _("%(name)s（必须）") % {"name": material.name}
    return _("%(name)s（视情提供）") % {"name": material.name}


class MaterialsForm(StyledForm):
    """One file input per catalog material of the item, plus other materials."""

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_materials = list(item.materials.all()) if item is not None else []
        for material in self.item_materials:
            self.fields[f"material_{material.pk}"] = MultipleFileField(
                label=material_label(material), help_text=material.note or FILE_HELP
            )
        self.fields["other"] = MultipleFileField(label=_("其他材料"), help_text=FILE_HELP)

    def clean(self):
        cleaned = super().clean()
        # Files posted for materials that are not this item's (the item was changed after choosing them)
        # would be dropped without a word: refuse instead, so nothing handed in goes missing.
        stray = [name for name in self.files if name.startswith("material_") and name not in self.fields]
        if stray:
            raise forms.ValidationError(
                _("所选材料不属于当前事项（事项已更换），请按当前事项的材料清单重新选择文件后提交。"),
                code="stray_files",
            )
        return cleaned

    def missing_required(self) -> list[str]:
        """Names of the item's required materials with no file chosen (after validation)."""
        return [
            material.name
            for material in self.item_materials
            if material.required and not self.cleaned_data.get(f"material_{material.pk}")
        ]

    def uploads(self):
        from jiedao.applications.services import Upload

        found = []
        for material in self.item_materials:
            field = f"material_{material.pk}"
            for file in self.cleaned_data.get(field) or []:
                found.append(Upload(file=file, material=material, label=material.name, field=field))
        for file in self.cleaned_data.get("other") or []:
            found.append(Upload(file=file, label=_("其他材料"), field="other"))
        return found


class CorrectionMaterialsForm(MaterialsForm):
    """补正材料: the item's materials without 必须 / 视情提供. The applicant hands in only what the one-time
    correction notice lists; a label saying 必须 read as if every material had to be uploaded again."""

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        for material in self.item_materials:
            self.fields[f"material_{material.pk}"].label = material.name


class DeferredMaterialsForm(MaterialsForm):
    """补交容缺材料: one file input per 容缺 material still outstanding, and nothing else."""

    def __init__(self, *args, item=None, outstanding=(), **kwargs):
        super().__init__(*args, item=item, **kwargs)
        wanted = {deferred.material_id for deferred in outstanding}
        self.item_materials = [m for m in self.item_materials if m.pk in wanted]
        kept = {f"material_{m.pk}" for m in self.item_materials}
        for name in list(self.fields):
            if name not in kept:
                del self.fields[name]


class AcceptDeferredForm(StyledForm):
    """容缺受理: the clerk confirms the signed commitment and may set the deadline."""

    committed = forms.BooleanField(
        label=_("申请人已签署容缺承诺书"),
        required=False,
        help_text=_("承诺在期限内补交所缺材料；承诺书原件随办件归档。"),
    )
    until = forms.DateField(
        label=_("补交期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("不填则按系统参数，自受理之日起若干个工作日。"),
    )


# The sign-in and tracking fields say what to fill in, as the identity form does, rather than Django's
# "该字段是必填项" (a "字段" means nothing to most residents).
class PhoneForm(StyledForm):
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, error_messages={"required": _("请填写手机号码。")}
    )


class CodeForm(StyledForm):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
        error_messages={"required": _("请填写短信收到的 6 位验证码。")},
    )


class NewPhoneForm(StyledForm):
    phone = forms.CharField(
        label=_("新手机号码"),
        max_length=20,
        help_text=_("验证码将发送到新号码，用以确认该号码由您本人使用。"),
        error_messages={"required": _("请填写新手机号码。")},
    )


class CloseAccountForm(StyledForm):
    confirm = forms.BooleanField(
        label=_("我已了解注销后果，确认注销本账号。"), error_messages={"required": _("请勾选确认注销。")}
    )


class WindowIdentityForm(StyledForm):
    id_number = forms.CharField(
        label=_("身份证件号码"),
        max_length=30,
        help_text=_("请先核验来人的身份证件原件，再按证件填写。"),
        error_messages={"required": _("请填写身份证件号码。")},
    )


class IdentityForm(StyledForm):
    real_name = forms.CharField(
        label=_("姓名"), max_length=50, error_messages={"required": _("请填写姓名。")}
    )
    id_number = forms.CharField(
        label=_("身份证件号码"), max_length=30, error_messages={"required": _("请填写身份证件号码。")}
    )


class EnterpriseFieldsMixin(forms.Form):
    """企业名称 and 统一社会信用代码: only on items whose audience includes enterprises (required on items for
    enterprises only, optional — "以企业名义申请的填写" — on items for both); kept when the item is not known yet."""

    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200, required=False)
    enterprise_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30, required=False)

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        if item is None:
            return
        if item.audience == Audience.PERSON:
            del self.fields["enterprise_name"], self.fields["enterprise_uscc"]
        elif item.audience == Audience.ENTERPRISE:
            self.fields["enterprise_name"].required = True
            self.fields["enterprise_name"].error_messages["required"] = _("该事项面向企业，请填写企业名称。")
            self.fields["enterprise_uscc"].required = True
            self.fields["enterprise_uscc"].error_messages["required"] = _("请填写统一社会信用代码。")
        else:
            self.fields["enterprise_name"].help_text = _("以企业名义申请的填写；个人申请的不填。")


class DeliveryFieldsMixin(forms.Form):
    """送达方式 of the result: only on items with a result to hand over; the address only matters by mail (the
    service says when it is missing). Kept when the item is not known yet."""

    delivery_method = forms.ChoiceField(
        label=_("办理结果送达方式"), choices=DeliveryMethod.choices, required=False, widget=forms.RadioSelect
    )
    delivery_address = forms.CharField(
        label=_("邮寄地址"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选择邮寄送达的填写：省市区、街道门牌号、收件人姓名和电话。邮寄免费。"),
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        if item is None:
            return
        offered = item.delivery_methods or []
        if not offered:
            del self.fields["delivery_method"], self.fields["delivery_address"]
            return
        self.fields["delivery_method"].choices = [
            (method, label) for method, label in DeliveryMethod.choices if method in offered
        ]
        self.fields["delivery_method"].initial = offered[0]
        if DeliveryMethod.MAIL not in offered:
            del self.fields["delivery_address"]


class ApplyForm(DeliveryFieldsMixin, EnterpriseFieldsMixin, MaterialsForm):
    """在线申请: every material the guide marks 必须 comes with the application (the window may register one
    without, and say what is missing; an online applicant is told before sending, not by a correction later)."""

    def clean(self):
        cleaned = super().clean()
        for material in self.item_materials:
            name = f"material_{material.pk}"
            if material.required and not cleaned.get(name) and name not in self.errors:
                self.add_error(name, _("请上传“%(name)s”，这是必须提交的材料。") % {"name": material.name})
        return cleaned


class WalkInForm(DeliveryFieldsMixin, EnterpriseFieldsMixin, MaterialsForm):
    """窗口收件. With the item chosen first (?item=, which lists its materials) the item is fixed on the form
    (a hidden field): the materials listed belong to it; another item is chosen with the picker above."""

    item = forms.ModelChoiceField(label=_("事项"), queryset=None)
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=50)
    applicant_id_number = forms.CharField(label=_("身份证件号码"), max_length=30, required=False)
    applicant_phone = forms.CharField(label=_("联系电话"), max_length=20)

    field_order = ["item", "applicant_name", "applicant_id_number", "applicant_phone"]

    def __init__(self, *args, items=None, item=None, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        self.item = item
        self.fields["item"].queryset = items
        if item is not None:
            self.fields["item"].initial = item.pk
            self.fields["item"].widget = forms.HiddenInput()
            if item.audience != Audience.ENTERPRISE:
                id_number = self.fields["applicant_id_number"]
                id_number.required = True
                id_number.error_messages["required"] = _("请填写申请人身份证件号码。")
        self.order_fields(self.field_order)


class CorrectionForm(StyledForm):
    items = forms.CharField(
        label=_("需补正的材料（每行一项，一次性告知）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )

    def lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("items", "").splitlines() if line.strip()]


class ReasonForm(StyledForm):
    """中止办理: the reason is required (marked so; the service refuses an empty one too)."""

    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写中止办理的原因。")},
    )


class DeliverForm(StyledForm):
    note = forms.CharField(
        label=_("送达记录"),
        max_length=200,
        help_text=_("窗口领取的填写领取人姓名（代领的注明关系）；邮寄的填写快递公司和运单号。"),
        error_messages={"required": _("请填写送达记录。")},
    )


class WithdrawForm(StyledForm):
    """撤回申请 online: a reason if the applicant wishes, and a tick, since it cannot be undone."""

    reason = forms.CharField(
        label=_("撤回原因（选填）"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )
    confirm = forms.BooleanField(
        label=_("我确认撤回本申请。撤回后办理终止，如需办理须重新申请。"),
        error_messages={"required": _("请勾选确认撤回。")},
    )


class StaffWithdrawForm(StyledForm):
    """登记撤回 at a window: the applicant's written request, said in the reason."""

    reason = forms.CharField(
        label=_("撤回原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("如：申请人于某日提交书面撤回申请。"),
        error_messages={"required": _("请填写撤回原因（如：申请人提交书面撤回申请）。")},
    )


class RejectForm(StyledForm):
    """不予受理: the reason is required (the service says so too) and told to the applicant."""

    reason = forms.CharField(
        label=_("不予受理理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写不予受理的理由。")},
    )


class EmptyForm(StyledForm):
    pass


class ResidenceCommunityForm(StyledForm):
    """受理 or 转入流程办理: the applicant's 居住社区 may be chosen (needed when the registry does not know the applicant and
    the item's process has a community step; the service says when)."""

    community = forms.ModelChoiceField(
        label=_("居住社区"),
        queryset=None,
        required=False,
        empty_label=_("（按实有人口库确定）"),
        help_text=_("申请人不在实有人口库时，请选择其居住社区，由该社区办理入户核实等环节。"),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        from jiedao.orgs.choices import OrgLevel
        from jiedao.orgs.models import OrgUnit

        self.fields["community"].queryset = OrgUnit.objects.filter(
            level=OrgLevel.COMMUNITY, is_active=True, path__startswith=application.item.org.path
        ).order_by("path")
        self.fields["community"].initial = application.community_id


class ExtendForm(StyledForm):
    days = forms.IntegerField(label=_("申请延长工作日数"), min_value=1, max_value=60)
    reason = forms.CharField(
        label=_("延长理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写延长理由。")},
    )


class ExtensionDecisionForm(StyledForm):
    """A leader's decision on a pending extension request (posted to the extend address)."""

    APPROVE, REFUSE = "approve", "refuse"
    decision = forms.ChoiceField(
        label=_("审批结果"),
        choices=[(APPROVE, _("批准延长")), (REFUSE, _("不予批准"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择审批结果。")},
    )
    note = forms.CharField(
        label=_("审批意见（不予批准的须填写理由）"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ConcludeForm(StyledForm):
    outcome = forms.ChoiceField(label=_("办理结果"), choices=Outcome.choices)
    text = forms.CharField(label=_("结果说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CertificateIssueForm(StyledForm):
    """开具证明: the 用途 the applicant states (the application form asks none), printed on the certificate."""

    purpose = forms.CharField(
        label=_("用途"),
        max_length=100,
        required=False,
        help_text=_("选填，如：子女入学、银行开户。将写在证明上。"),
    )


class CertificateRevokeForm(StyledForm):
    reason = forms.CharField(
        label=_("作废原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写作废原因。")},
    )


class RatingForm(StyledForm):
    level = forms.TypedChoiceField(
        label=_("评价"),
        choices=RatingLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择您对本次服务的评价（从“非常满意”到“非常不满意”选一项）。")},
    )
    comment = forms.CharField(label=_("意见建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PaperRatingForm(RatingForm):
    """Transcribing a paper 评价表 the applicant filled in and signed: its number ties the entry to the paper."""

    paper_number = forms.CharField(
        label=_("纸质评价表编号"),
        max_length=50,
        help_text=_("只能录入申请人本人填写并签名的纸质评价表；经办该办件的工作人员不能录入。"),
    )


class TrackForm(StyledForm):
    code = forms.CharField(label=_("查询码"), max_length=20, error_messages={"required": _("请填写查询码。")})
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, error_messages={"required": _("请填写手机号码。")}
    )


class InquiryForm(StyledForm):
    visitor_name = forms.CharField(label=_("来访人"), max_length=50)
    visitor_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    question = forms.CharField(label=_("咨询事项"), widget=forms.Textarea(attrs={"rows": 4}))


class HandOverForm(StyledForm):
    to_user = forms.ModelChoiceField(label=_("转交给"), queryset=None)
    note = forms.CharField(label=_("转交说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = users


class AnswerForm(StyledForm):
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class AgencyForm(StyledForm):
    agent = forms.ModelChoiceField(label=_("代办员"), queryset=None)
    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200)
    enterprise_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    project_name = forms.CharField(label=_("项目名称"), max_length=200)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = users


class RectificationCloseForm(StyledForm):
    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    return_visit = forms.CharField(
        label=_("回访记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    feedback = forms.CharField(
        label=_("反馈评价人"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ObjectionForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 4}))


class ObjectionResolveForm(StyledForm):
    answer = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.username}（{obj.username}，{obj.org.name}）"


class ServiceWindowForm(StyledForm):
    """A service window: the service validates (Chinese messages per field) and saves."""

    org = forms.ModelChoiceField(label=_("所属单位"), queryset=None)
    number = forms.CharField(label=_("窗口号"), max_length=20, help_text=_("如“3号窗口”"))
    name = forms.CharField(label=_("窗口名称"), max_length=100, help_text=_("如“社会救助”"))
    staff = StaffChoiceField(
        label=_("窗口人员"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("本单位及下级单位的在岗业务工作人员；按住 Ctrl 可选择多人。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, orgs=None, users=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["org"]
        else:
            self.fields["org"].queryset = orgs
            del self.fields["is_active"]
        self.fields["staff"].queryset = users
