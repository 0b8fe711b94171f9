"""Control catalogs and profiles: the bundled ones (package data, `evidence/controls/`) and the user's own files."""

from evidence.catalog.loader import (
    Catalog,
    Profile,
    available_catalogs,
    available_profiles,
    load_catalog,
    load_catalog_or_profile,
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
    "available_profiles",
    "load_catalog",
    "load_catalog_or_profile",
    "load_catalogs",
    "load_fips_modules",
    "load_profile",
]
