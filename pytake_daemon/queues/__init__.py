"""Human queues: enqueueing, automatic distribution, timeouts, business hours, metrics."""
