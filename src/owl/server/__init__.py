"""The composition root: the ASGI application, its lifespan, and the data-directory lock."""
