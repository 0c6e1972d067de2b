"""Price tables, model-id resolution and the rates in force for a call."""

from aicost.pricing.book import PriceBook, load_book, locate
from aicost.pricing.rates import ClassRates, rates_at
from aicost.pricing.resolve import Resolution

__all__ = ["ClassRates", "PriceBook", "Resolution", "load_book", "locate", "rates_at"]
