"""The data catalog: GPUs, model architectures, rental and purchase offers, running-cost figures.

Each figure carries `source` and `as_of`; the TOML files next to this module document their
formats. `load_catalog()` reads and validates them once.
"""

from app.catalog.loader import (
    CatalogError,
    cost_parameter,
    get_gpu,
    get_model,
    get_purchase_offer,
    get_rental_offer,
    load_catalog,
    offers_for_gpu,
)

__all__ = [
    "CatalogError",
    "cost_parameter",
    "get_gpu",
    "get_model",
    "get_purchase_offer",
    "get_rental_offer",
    "load_catalog",
    "offers_for_gpu",
]
