"""The reference Convos server: FastAPI + SQLAlchemy, the contract is docs/protocol.md."""
