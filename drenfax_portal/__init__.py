"""Drenfax Portal: a Django portal for the Drenfax cloud fax API."""

__version__ = "0.1.0"
