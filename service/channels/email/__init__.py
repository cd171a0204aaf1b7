"""The email channel: one interface, an outbox for development and SendGrid for production."""
