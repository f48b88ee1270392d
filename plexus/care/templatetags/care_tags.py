"""Template helpers for the care screens."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or "" when missing (dicts only)."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
