"""Schema pieces shared by every API package."""
from __future__ import annotations

from datetime import timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def Id(**kwargs) -> fields.Integer:  # noqa: N802 (reads as a field type)
    """An id given by a caller: a positive 32-bit integer, so no number reaches the database
    beyond what its columns hold (a 422, not a 500)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


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
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def page_of(items: list, page: int, per_page: int) -> dict:
    """The list shape for a list already in memory (ordered by the caller)."""
    return {"items": items[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
            "total": len(items)}


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the desk's calendar; anything beyond is a typo


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with its UTC offset, returned in UTC. Offsets stay within the world's
    (-12:00 to +14:00) and years within 2000-2100, so no conversion overflows later."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        offset = moment.utcoffset()
        if offset is None or not timedelta(hours=-12) <= offset <= timedelta(hours=14):
            raise ValidationError("a UTC offset between -12:00 and +14:00")
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValidationError(f"a time between {FIRST_YEAR} and {LAST_YEAR}")
        return moment.astimezone(timezone.utc)


class Day(fields.Date):
    """A calendar day between 2000 and 2100."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(f"a day between {FIRST_YEAR} and {LAST_YEAR}")
        return day
