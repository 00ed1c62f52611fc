"""The parts of an OCDS release package the mappings read, for a faster first reading.

Decoding a page into these shapes skips everything no mapping looks at (contact points,
identifiers, item descriptions, document titles...), which is most of a Find a Tender
release. Values the mappings inspect themselves are typed ``Any``, so a surprising value
(a string where a number belongs) reaches the mapping exactly as the full reading gives it.
Only the containers are typed; a page whose containers are not what OCDS says (a ``null``
tender, an object where a list belongs) fails this reading and is read in full instead.

A test maps every recorded page both ways and requires the same notices: a mapping that
starts reading a field not listed here fails it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict

import msgspec


class Document(TypedDict, total=False):
    """A document: notice pages, portal links, and the notice type it carries."""

    id: Any
    documentType: Any
    noticeType: Any
    url: Any
    datePublished: Any
    format: Any


class Item(TypedDict, total=False):
    """An item: its codes and where it is delivered."""

    classification: Any
    additionalClassifications: Any
    deliveryAddresses: Any
    deliveryLocations: Any


class Lot(TypedDict, total=False):
    """A lot: its name, value, dates and suitability."""

    id: Any
    title: Any
    value: Any
    contractPeriod: Any
    renewal: Any
    suitability: Any
    hasRenewal: Any
    options: Any


class Tender(TypedDict, total=False):
    """The tender section."""

    title: Any
    description: Any
    status: Any
    value: Any
    minValue: Any
    classification: Any
    additionalClassifications: Any
    items: list[Item]
    documents: list[Document]
    lots: list[Lot]
    submissionMethodDetails: Any
    datePublished: Any
    contractPeriod: Any
    renewal: Any
    tenderPeriod: Any
    enquiryPeriod: Any
    expressionOfInterestDeadline: Any
    communication: Any
    suitability: Any
    techniques: Any
    procurementMethod: Any
    procurementMethodDetails: Any
    otherRequirements: Any
    legalBasis: Any
    specialRegime: Any
    aboveThreshold: Any
    recurrence: Any


class Planning(TypedDict, total=False):
    """The planning section."""

    rationale: Any
    budget: Any
    milestones: Any
    documents: list[Document]


class Party(TypedDict, total=False):
    """A party: buyer or supplier, with its address and size."""

    id: Any
    name: Any
    roles: Any
    address: Any
    details: Any


class Award(TypedDict, total=False):
    """An award: who won, for how much, when, for which lots and for how long."""

    id: Any
    status: Any
    date: Any
    value: Any
    suppliers: Any
    documents: list[Document]
    title: Any
    relatedLots: Any
    contractPeriod: Any
    hasRenewal: Any
    renewal: Any
    options: Any
    items: list[Item]


class Contract(TypedDict, total=False):
    """A contract: its award, terms, status and end, and the notice type its documents name."""

    id: Any
    awardID: Any
    dateSigned: Any
    title: Any
    status: Any
    period: Any
    value: Any
    hasRenewal: Any
    renewal: Any
    options: Any
    implementation: Any
    items: list[Item]
    documents: list[Document]


class Release(TypedDict, total=False):
    """A release."""

    ocid: Any
    id: Any
    date: Any
    tag: Any
    title: Any
    buyer: Any
    links: Any
    tender: Tender
    planning: Planning
    parties: list[Party]
    awards: list[Award]
    contracts: list[Contract]


class Package(TypedDict, total=False):
    """A release package (a record package's ``records`` are read in full)."""

    releases: list[Release]
    records: Any
    links: Any


PACKAGE_DECODER = msgspec.json.Decoder(Package, float_hook=Decimal)
"""Reads a release package into plain dicts holding only what the mappings read."""
