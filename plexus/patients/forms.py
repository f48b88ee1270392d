"""Forms for the patient screens; services do the validation that matters."""

from __future__ import annotations

from django import forms

from plexus.patients.models import Coverage, Patient

PATIENT_FORM_FIELDS = [
    "legal_first_name", "legal_middle_name", "legal_last_name", "preferred_name", "pronouns", "date_of_birth",
    "sex_for_claims", "address_line1", "address_line2", "city", "state", "postal_code", "phone_mobile",
    "phone_home", "email", "preferred_language", "time_zone", "preferred_channel", "consent_sms", "consent_email",
    "has_hsa_fsa",
]


class PatientForm(forms.ModelForm):
    email = forms.CharField(required=False, max_length=254)  # normalised and validated by the service

    class Meta:
        model = Patient
        fields = PATIENT_FORM_FIELDS
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def _post_clean(self):
        """Skip ModelForm's model validation: patient_create/patient_update run it after normalising."""


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = ["payer", "member_id", "group_number", "plan_name", "relationship", "subscriber_first_name",
                  "subscriber_last_name", "subscriber_date_of_birth", "priority", "effective_date", "end_date"]
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "subscriber_date_of_birth": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self):
        """Skip ModelForm's model validation: coverage_create runs it with the cross-coverage rules."""


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Name or chart #")
    date_of_birth = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(required=False)
    member_id = forms.CharField(required=False, label="Member ID")


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, one patient per row; see docs/patients.md for the columns.")
