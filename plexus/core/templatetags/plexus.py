"""Display filters for staff screens."""

from django import template

from plexus.core.validators import format_phone

register = template.Library()


@register.filter(name="phone")
def phone(value: str) -> str:
    """Show an E.164 number in national format, e.g. (503) 555-0142."""
    return format_phone(value)
