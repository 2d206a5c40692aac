"""Web Push to technicians' phones: VAPID keys, subscriptions per device, sending, jobs."""
