"""The one-thing catalogue (一件事目录) as versioned data, and its loader."""

from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import Bundle, Catalogue, CatalogueError, FormField, Item

__all__ = ["Bundle", "Catalogue", "CatalogueError", "FormField", "Item", "load_catalogue"]
