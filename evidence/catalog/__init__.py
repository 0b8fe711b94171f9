"""Control catalogs and profiles, read from `controls/`."""

from evidence.catalog.loader import (
    Catalog,
    Profile,
    available_catalogs,
    load_catalog,
    load_catalogs,
    load_fips_modules,
    load_profile,
)
from evidence.catalog.schema import ControlSpec, FipsModuleSpec, Parameters

__all__ = [
    "Catalog",
    "ControlSpec",
    "FipsModuleSpec",
    "Parameters",
    "Profile",
    "available_catalogs",
    "load_catalog",
    "load_catalogs",
    "load_fips_modules",
    "load_profile",
]
