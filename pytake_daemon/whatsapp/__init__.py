"""WhatsApp Cloud API: webhook signature checks and notification parsing."""
