"""Ponte's domain: service definitions, journeys, sessions and submissions.

Nothing in this package imports Qt widgets or QML: the UI calls into it, never
the reverse, so every rule here is tested without a screen.
"""

LANGUAGES = ("en", "pt", "fr", "es", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
