"""Schema pieces shared by every API package."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class LongPageArgs(PageArgs):
    """For timelines and conversations, read whole in one go most of the time."""

    per_page = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class PersonRef(Schema):
    id = fields.Integer()
    name = fields.String()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """{"items": [...], "page", "per_page", "total"}, named for the OpenAPI document."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    }, name=name)


def paginate(session, statement, page: int, per_page: int) -> dict:
    from sqlalchemy import func, select

    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def page_of(items: list, page: int, per_page: int) -> dict:
    """The list shape for a list already in memory (ordered by the caller)."""
    return {"items": items[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
            "total": len(items)}
