"""Digests by role (docs/communication.md): what each person should know this period, sent by
e-mail and to Slack.

``period`` says which period a digest is for, ``registry`` holds each role's sections (small
reads that return plain data), ``sections`` the sections themselves, ``build`` assembles one
person's digest, ``render`` turns it into text, HTML and a Slack message, and ``delivery``
sends what is due, once per person and period.
"""
