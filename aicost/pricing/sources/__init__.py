"""Converters from public price databases into aicost price tables."""
