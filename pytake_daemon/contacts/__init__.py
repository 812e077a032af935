"""Contact profiles: the team's name, tags, attributes and notes for a customer, their past
attendances, ratings and mood, and contact search."""
