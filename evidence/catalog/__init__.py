"""Control catalogs and profiles, read from `controls/`."""

from evidence.catalog.loader import Catalog, Profile, load_catalog, load_profile
from evidence.catalog.schema import ControlSpec, Parameters

__all__ = ["Catalog", "ControlSpec", "Parameters", "Profile", "load_catalog", "load_profile"]
