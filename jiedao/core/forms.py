from django import forms


class StyledFormMixin:
    """Gives every widget its Bootstrap class and ARIA description, so templates stay generic."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}_help"
            if self.is_bound and name in self.errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"


class StyledForm(StyledFormMixin, forms.Form):
    pass
