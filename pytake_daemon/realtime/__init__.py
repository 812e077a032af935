"""Live events: per-tenant sequence numbers, Redis fan-out across processes, WebSocket clients."""
