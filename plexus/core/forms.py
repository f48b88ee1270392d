"""Forms for practice setup screens. Validation rules live in the models and services."""

from __future__ import annotations

from django import forms

from plexus.core.models import Discipline, Location, Payer, Practice, Practitioner, Role, Room, Service, User


class PracticeForm(forms.ModelForm):
    class Meta:
        model = Practice
        fields = ["legal_name", "tax_id", "group_npi", "address_line1", "address_line2", "city", "state",
                  "postal_code", "phone", "late_cancel_hours"]


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address_line1", "address_line2", "city", "state", "postal_code", "phone",
                  "time_zone", "place_of_service"]


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["location", "name", "room_type", "capacity"]


class PayerForm(forms.ModelForm):
    class Meta:
        model = Payer
        fields = ["name", "payer_id", "payer_type", "phone"]


class PractitionerForm(forms.ModelForm):
    locations = forms.ModelMultipleChoiceField(queryset=Location.objects.all(), required=False)
    payers = forms.ModelMultipleChoiceField(queryset=Payer.objects.all(), required=False)

    class Meta:
        model = Practitioner
        fields = ["first_name", "last_name", "discipline", "credentials", "npi", "taxonomy_code",
                  "license_number", "supervising_physician"]


class ServiceForm(forms.ModelForm):
    disciplines = forms.ModelMultipleChoiceField(queryset=Discipline.objects.all(), required=False)
    modifiers_text = forms.CharField(label="Modifiers", required=False, help_text="Comma-separated, e.g. AT, 59")

    class Meta:
        model = Service
        fields = ["name", "duration_minutes", "room_type", "procedure_code", "unit_minutes", "max_units",
                  "default_fee", "coverage_category", "hsa_eligibility", "buffer_minutes", "room_turnover_minutes"]


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(widget=forms.PasswordInput, min_length=10)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))


class AuditSearchForm(forms.Form):
    patient_id = forms.IntegerField(required=False, label="Patient ID")
    username = forms.CharField(required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
