"""The business profile and the seven-step onboarding wizard (issue 19, OB1)."""
