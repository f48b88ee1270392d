"""Forms for the messaging screens. Validation rules live in templating.py and the services."""

from __future__ import annotations

from django import forms

from plexus.messaging.models import Channel, ContactPreference, Kind, Status


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class LogFilterForm(forms.Form):
    status = forms.ChoiceField(choices=_blank(Status.choices), required=False)
    channel = forms.ChoiceField(choices=_blank(Channel.choices), required=False)
    kind = forms.ChoiceField(choices=_blank(Kind.choices), required=False)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class TemplateForm(forms.Form):
    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}))


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = ContactPreference
        fields = ["email_enabled", "sms_enabled", "email_consent", "sms_consent", "language", "quiet_start",
                  "quiet_end"]
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"})}
