from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """mapping[key], or key itself when missing (e.g. a question's text by linkId)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
