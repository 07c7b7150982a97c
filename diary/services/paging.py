"""One way to page a query: the rows of a page and the total, counted with SQLAlchemy 2."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page_of(session: Session, stmt: Select, *order_by, page: int,
            page_size: int, scalars: bool = True) -> tuple[list, int]:
    """One page of ``stmt`` and the total; ``scalars=False`` keeps whole rows."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    paged = stmt.order_by(*order_by).limit(page_size).offset((page - 1) * page_size)
    rows = session.scalars(paged) if scalars else session.execute(paged)
    return list(rows.all()), total
