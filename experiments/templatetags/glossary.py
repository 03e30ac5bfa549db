"""``{% glossary "srm" "cuped" %}``: a visible list of the terms a page uses, one plain line
each; ``{% term "srm" %}``: the word itself, its meaning as its title (experiments/glossary.py)."""

from django import template
from django.utils.html import format_html

from ..glossary import TERMS, entries

register = template.Library()


@register.inclusion_tag("_glossary.html")
def glossary(*keys, scope="page"):
    """The terms named, or one list of them (an insight's ``terms``)."""
    if len(keys) == 1 and isinstance(keys[0], list | tuple):
        keys = tuple(keys[0])
    return {"terms": entries(*keys), "scope": scope}


@register.simple_tag
def term(key, text=""):
    word, plain = TERMS[key]
    return format_html('<abbr class="term" title="{}">{}</abbr>', plain, text or word)
