"""Recognising the server software — Postfix, Exim, Haraka, Exchange … — from what it says.

:func:`recognise` reads an :class:`Observation` (the greeting, the EHLO replies, later
replies) and returns a :class:`~smtpdoctor.model.software.Software` with the evidence, or
``None``: nothing is guessed.  The signs and their sources are in
:mod:`smtpdoctor.software.signs`, the names and ids in :mod:`smtpdoctor.software.names`.
Hints name a product's settings only when the run recognised that product
(:class:`~smtpdoctor.remedies.Advice`).
"""

from __future__ import annotations

from smtpdoctor.software.names import PRODUCTS, Product
from smtpdoctor.software.recognise import Observation, recognise
from smtpdoctor.software.signs import SIGNS, Place, Sign

__all__ = ["PRODUCTS", "SIGNS", "Observation", "Place", "Product", "Sign", "recognise"]
