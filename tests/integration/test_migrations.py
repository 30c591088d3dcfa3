from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callcenter.extensions import db


def test_migrations_build_exactly_the_models_schema(app):
    """The schema made by `flask db upgrade` matches the models: no forgotten migration."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
