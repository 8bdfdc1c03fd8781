"""Questionnaires as data: the self-diagnostic and its sector packs, and their models."""
