"""One way to page a query: the rows of a page and the total, counted with SQLAlchemy 2."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page_of(session: Session, stmt: Select, *order_by, page: int,
            page_size: int) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(*order_by).limit(page_size)
                           .offset((page - 1) * page_size)).all()
    return list(rows), total
