"""Automation flows: the graph model's checks, the engine, routing, durable sessions."""
