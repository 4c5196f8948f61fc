"""A multi-tenant blog/CMS: one Tornado process serves many sites, picked by Host."""

__version__ = "0.1.0"
