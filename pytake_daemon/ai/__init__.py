"""Message analysis that helps agents: language, sentiment, intents, suggestions, alerts, insights.

Everything runs on models and lexicons shipped with installed packages or with this package
(``data/``); nothing is fetched at run time. See docs/ai.md.
"""
