"""特殊人群到期复核: the 低保, 特困, disability… tags that end soon and have not been renewed, with their export
and the 续期 of one tag from the person page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core import crypto
from jiedao.core.views import ServiceFormView
from jiedao.dictionaries.selectors import label, labels
from jiedao.registry import services
from jiedao.registry.models import SpecialGroupTag
from jiedao.registry.selectors import tag_review_window, tags_due_for_review, with_tag_person
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView
from jiedao.registry.ui.export import PersonalDataExport
from jiedao.registry.ui.persons import PersonTagMixin


class TagReviewListView(RegistryListView):
    """The list of `selectors.tags_due_for_review`, soonest end first, each row linking to the person page
    where the tag is renewed (续期) or left to end."""

    model = SpecialGroupTag
    import_model = None  # a work list: tags are entered on the person page
    permission = "registry.view_specialgrouptag"
    title = gettext_lazy("特殊人群到期复核")
    results_template = "registry/_tag_review_results.html"
    filter_form_class = forms.TagReviewSearchForm
    export_url_name = "registry:tag_review_export"

    def base_queryset(self):
        self.window = tag_review_window()
        return tags_due_for_review(self.request.user, action=self.required_permission(), window=self.window)

    def page_rows(self, queryset):
        return with_tag_person(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = self.window[0]
        for tag in context["object_list"]:
            tag.days_left = tag.days_left_on(today)
            tag.evidence_masked = crypto.mask_numbers(tag.evidence)  # a 残疾人证号 typed as the 依据
        context["list_note"] = _(
            "截止日期在 %(a)s 至 %(b)s 之间、尚未续期的现居住人员标记。复核后在人员页面续期，或任其到期。"
        ) % {"a": f"{self.window[0]:%Y-%m-%d}", "b": f"{self.window[1]:%Y-%m-%d}"}
        return context


class TagReviewExportView(PersonalDataExport):
    """特殊人群到期复核 as .xlsx with the list's filter: the round of calls and visits a review needs."""

    model = SpecialGroupTag
    permission = "registry.view_specialgrouptag"
    filter_form_class = forms.TagReviewSearchForm
    list_url_name = "registry:tag_review"
    list_label = gettext_lazy("特殊人群到期复核")
    text_columns = (1, 2)

    def base_queryset(self):
        self.window = tag_review_window()
        queryset = tags_due_for_review(
            self.request.user, action=self.required_permission(), window=self.window
        )
        return (
            queryset.select_related("person", "person__org")
            if self.shows_full()
            else with_tag_person(queryset)
        )

    def headers(self):
        return [
            _("姓名"),
            _("证件号码"),
            _("联系电话"),
            _("所属社区/网格"),
            _("现住址"),
            _("人群类别"),
            _("起始日期"),
            _("截止日期"),
            _("剩余天数"),
            _("依据"),
        ]

    def rows(self, queryset):
        groups = labels("special_group")
        today = self.window[0]
        for tag in queryset.iterator(chunk_size=2000):
            person = tag.person
            full = self.shows_full() and self.may_see_full(person)
            id_number, phone = self.identity(person)
            yield [
                person.name,
                id_number,
                phone,
                person.org.name,
                person.residence_address,
                groups.get(tag.group, tag.group),
                tag.valid_from,
                tag.valid_until,
                tag.days_left_on(today),
                tag.evidence if full else crypto.mask_numbers(tag.evidence),
            ]


class PersonTagRenewView(PersonTagMixin, ServiceFormView):
    """续期: the person page's renewal form of one tag posts here; with an error it is shown on its own page."""

    form_class = forms.TagRenewForm
    template_name = "registry/person_form.html"
    success_message = gettext_lazy("已续期特殊人群标记。")

    def get_context_data(self, **kwargs):
        tag = self.get_tag()
        return super().get_context_data(
            title=_("续期特殊人群标记：%(g)s（原截止日期 %(d)s）")
            % {"g": label("special_group", tag.group), "d": tag.valid_until or "—"},
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.tag_renew(
            actor=self.request.user,
            tag=self.get_tag(),
            valid_until=data.get("valid_until"),
            evidence=data.get("evidence") or "",
            evidence_file=data.get("evidence_file"),
            seen_updated_at=data.get("updated_at"),
        )
