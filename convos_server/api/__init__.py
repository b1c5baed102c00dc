"""HTTP routers under ``/api/v1``: thin layers that call ``convos_server.services``."""
