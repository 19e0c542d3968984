"""The catalog: one YAML descriptor per dataset, and the portal's list of known datasets."""

from ardoise.catalog.loader import load_catalog as load_catalog
from ardoise.catalog.model import Dataset as Dataset
from ardoise.catalog.model import Field as Field
