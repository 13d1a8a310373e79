"""The one-thing catalogue (一件事目录) as versioned data, and its loader."""

from intake.catalogue.loader import load_catalogue
from intake.catalogue.model import Bundle, Catalogue, CatalogueError, FormField, Item

__all__ = ["Bundle", "Catalogue", "CatalogueError", "FormField", "Item", "load_catalogue"]
