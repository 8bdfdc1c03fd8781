"""The partner indicator survey (issue 13, the HYDREOS model): twice-yearly waves, one answer
per partner organisation on a five-point agreement scale, and their results.

``scoring.py`` computes a wave's results and the trend between two waves, ``charts.py`` draws
them (diverging stacked bars per axis, a trend chart), ``exports.py`` writes the animators'
XLSX and CSV files, and ``questionnaire.py`` turns an indicator set of ``content/surveys/`` into
a questionnaire that the diagnostic's engine asks.
"""
