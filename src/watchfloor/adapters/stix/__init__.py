"""STIX 2.0/2.1 reading (and, later, writing)."""

from watchfloor.adapters.stix.reader import (
    BundleInfo,
    ExternalReference,
    KillChainPhase,
    StixBundle,
    StixBundleError,
    StixObject,
    StixProblem,
    bundle_of,
    parse_bundle,
    parse_objects,
    read_bundle,
)

__all__ = [
    "BundleInfo",
    "ExternalReference",
    "KillChainPhase",
    "StixBundle",
    "StixBundleError",
    "StixObject",
    "StixProblem",
    "bundle_of",
    "parse_bundle",
    "parse_objects",
    "read_bundle",
]
