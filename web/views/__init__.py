"""Dashboard pages, one module per page or group of pages; each adds routes to ``web.bp``."""
