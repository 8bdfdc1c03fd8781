"""Awareness modules as data: short lessons with their sources and a quiz, and their models."""
