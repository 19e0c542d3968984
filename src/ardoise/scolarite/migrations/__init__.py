"""Alembic migrations of the scolarité registry (programmatic config, see ``database``)."""
