"""Green taxonomies: versioned catalogues, crosswalks, technical criteria and screening.

Pure domain code: reads shipped reference data, never the database or the web.
"""

from greenfin.taxonomy.catalogue import (
    DEFAULT_EDITION,
    Catalogue,
    CatalogueItem,
    Edition,
    editions,
    load_catalogue,
)

__all__ = [
    "DEFAULT_EDITION",
    "Catalogue",
    "CatalogueItem",
    "Edition",
    "editions",
    "load_catalogue",
]
