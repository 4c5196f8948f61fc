"""Thin request handlers grouped by area; shared behaviour lives in `base`."""
