"""Forms for the billing screens; services do the validation that matters."""

from __future__ import annotations

from django import forms

from plexus.billing.benefits import DEFAULT_SERVICE_TYPES, SERVICE_TYPES
from plexus.core.models import HsaEligibility, Practitioner

SERVICE_TYPE_CHOICES = [(code, f"{label} ({code})") for code, label in SERVICE_TYPES.items()]


class EligibilityForm(forms.Form):
    chart_number = forms.CharField(max_length=20, label="Patient chart number", help_text="e.g. P000001")
    service_types = forms.MultipleChoiceField(choices=SERVICE_TYPE_CHOICES, initial=list(DEFAULT_SERVICE_TYPES),
                                              widget=forms.CheckboxSelectMultiple)
    service_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class X12UploadForm(forms.Form):
    file = forms.FileField(label="X12 file (271, 999, 277CA or 835)")


class EncounterForm(forms.Form):
    diagnoses = forms.CharField(max_length=200, label="Diagnoses (ICD-10-CM, principal first)",
                                help_text="Separate with commas, e.g. M54.50, G89.29")
    coverage = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Bill to")
    minutes = forms.IntegerField(min_value=1, max_value=600, label="Minutes of treatment")
    place_of_service = forms.ChoiceField(choices=[("11", "11 Office"), ("02", "02 Telehealth (not at home)"),
                                                  ("10", "10 Telehealth at home")], label="Place of service")
    improving = forms.NullBooleanField(required=False, label="Patient documented as improving",
                                       widget=forms.Select(choices=[("unknown", "Not documented"), ("true", "Yes"),
                                                                    ("false", "No")]))

    def __init__(self, *args, coverages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coverage"].choices = [("", "Patient pays directly")] + [
            (c.pk, f"{c.payer.name} ({c.get_priority_display().lower()})") for c in coverages]


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=16)
    note = forms.CharField(max_length=500, required=False)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    method = forms.ChoiceField(choices=[("card_external", "Card (external terminal)"), ("cash", "Cash"),
                                        ("check", "Check"), ("hsa", "HSA/FSA card")])
    reference = forms.CharField(max_length=60, help_text="Receipt, check or terminal number")


class WaiverForm(forms.Form):
    appointment_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the payer is not expected to pay")
    estimated_cost = forms.DecimalField(max_digits=10, decimal_places=2, label="Estimated cost to the patient")
    signed_name = forms.CharField(max_length=200, label="Signed by (patient or representative)")


class ProductForm(forms.Form):
    description = forms.CharField(max_length=200, label="Item (e.g. supplement)")
    unit_price = forms.DecimalField(max_digits=10, decimal_places=2, label="Price")
    quantity = forms.DecimalField(max_digits=8, decimal_places=2, initial=1)
    tax_rate = forms.DecimalField(max_digits=5, decimal_places=4, required=False, initial=0,
                                  label="Tax rate (e.g. 0.0825)")
    hsa_eligibility = forms.ChoiceField(choices=HsaEligibility.choices, initial=HsaEligibility.NOT_ELIGIBLE,
                                        label="HSA/FSA")


class InvoicePaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2)
    method = forms.ChoiceField(choices=[("card_external", "Card (external terminal)"), ("hsa", "HSA/FSA card"),
                                        ("cash", "Cash"), ("check", "Check")])
    reference = forms.CharField(max_length=60, help_text="Receipt, check or terminal number")
    credit_overpayment = forms.BooleanField(required=False, label="Keep any excess as a credit")


class LetterForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(discipline__can_supervise=True, is_active=True).order_by("last_name"),
        label="Signed by")
    diagnoses = forms.CharField(max_length=200, label="Diagnoses (ICD-10-CM)")
    procedure_codes = forms.CharField(max_length=100, label="Services (codes)", initial="97124")
    frequency = forms.CharField(max_length=100, initial="weekly for 12 weeks")
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
