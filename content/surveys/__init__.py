"""Indicator sets of the partner survey (the HYDREOS model), as data, and their models."""
