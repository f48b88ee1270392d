"""Forms for the billing screens; services do the validation that matters."""

from __future__ import annotations

from django import forms

from plexus.billing.benefits import DEFAULT_SERVICE_TYPES, SERVICE_TYPES

SERVICE_TYPE_CHOICES = [(code, f"{label} ({code})") for code, label in SERVICE_TYPES.items()]


class EligibilityForm(forms.Form):
    chart_number = forms.CharField(max_length=20, label="Patient chart number", help_text="e.g. P000001")
    service_types = forms.MultipleChoiceField(choices=SERVICE_TYPE_CHOICES, initial=list(DEFAULT_SERVICE_TYPES),
                                              widget=forms.CheckboxSelectMultiple)
    service_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class X12UploadForm(forms.Form):
    file = forms.FileField(label="X12 file (271)")
