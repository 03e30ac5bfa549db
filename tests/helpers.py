"""Small helpers the tests of every app share (fixtures stay in conftest.py)."""

import copy

from django.db import models
from django.test import Client


def signed_in(user) -> Client:
    """A browser-like client (Django's test ``Client``) signed in as ``user``, for the pages."""
    client = Client()
    client.force_login(user)
    return client


# The header htmx sends with each of its requests (Django's test client spelling).
HTMX = {"HTTP_HX_REQUEST": "true"}


def world_copy(value):
    """A module's world (built once, its rows rolled back after each test) for one test: each
    model instance copied with its own state, and so the related instances it has cached;
    dicts, lists and tuples copied through. ``copy.deepcopy`` followed every cached relation
    and copied every field value: a quarter of the permission table's CPU."""
    if isinstance(value, models.Model):
        copied = copy.copy(value)  # Django copies the state and its cache of related objects
        cache = copied._state.fields_cache
        for name, related in cache.items():
            cache[name] = copy.copy(related) if isinstance(related, models.Model) else related
        return copied
    if isinstance(value, dict):
        return {key: world_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(world_copy(item) for item in value)
    return copy.deepcopy(value)
