"""The ASGI service: JSON API and server-rendered pages."""
