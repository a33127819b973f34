"""The catalogue in the store: every verified statement once, linked to the jobs that found it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mathdisco.engines.discoveries import Discovery as FoundDiscovery
from mathdisco.workers.models import Discovery, Job, JobDiscovery, utcnow
from mathdisco.workers.store_base import StoreBase, after_cursor, jsonable, keyset_page

__all__ = ["CatalogueStore"]


class CatalogueStore(StoreBase):
    """Discoveries, deduplicated by the fingerprint of their statement."""

    def record_discoveries(self, job_id: str, found: Sequence[FoundDiscovery],
                           provenance: dict[str, Any] | None = None) -> list[int]:
        """Store each statement once (by fingerprint) and link it to the job, in one transaction."""
        with self._writing() as session:
            return self._link_discoveries(session, job_id, found, provenance)

    def discovery_kinds(self) -> list[str]:
        with self.sessions() as session:
            return sorted(session.scalars(select(Discovery.kind).distinct()))

    @staticmethod
    def _link_discoveries(session: Session, job_id: str, found: Sequence[FoundDiscovery],
                          provenance: dict[str, Any] | None) -> list[int]:
        ids: list[int] = []
        by_fingerprint = {item.fingerprint(): item for item in found}
        existing = dict(session.execute(
            select(Discovery.fingerprint, Discovery.id)
            .where(Discovery.fingerprint.in_(list(by_fingerprint)))).all()) if by_fingerprint else {}
        for fingerprint, item in by_fingerprint.items():
            if fingerprint not in existing:
                # a concurrent writer inserting the same statement makes this transaction fail
                # on the unique fingerprint; the caller's retry then finds the row
                row = Discovery(fingerprint=fingerprint, kind=item.kind, target=item.target[:255],
                                text=item.text, latex=item.latex, canonical=item.canonical,
                                evidence=jsonable(item.evidence), provenance=provenance,
                                created_at=utcnow())
                session.add(row)
                session.flush()
                existing[fingerprint] = row.id
            discovery_id = existing[fingerprint]
            if session.get(JobDiscovery, (job_id, discovery_id)) is None:
                session.add(JobDiscovery(job_id=job_id, discovery_id=discovery_id))
            ids.append(discovery_id)
        return ids

    def list_discoveries(
        self, *, kind: str | None = None, target: str | None = None, search: str | None = None,
        job_type: str | None = None, limit: int = 50, cursor: str | None = None,
    ) -> tuple[list[tuple[Discovery, list[str]]], str | None]:
        """Newest first.  ``search`` matches the statement text, the target (e.g. the constant)
        and the kind; ``job_type`` keeps discoveries found by a job of that type."""
        query = select(Discovery).order_by(Discovery.created_at.desc(), Discovery.id.desc()).limit(limit + 1)
        if kind:
            query = query.where(Discovery.kind == kind)
        if target:
            query = query.where(Discovery.target == target)
        if search:
            pattern = f"%{search}%"
            query = query.where(or_(Discovery.target.ilike(pattern), Discovery.text.ilike(pattern),
                                    Discovery.kind.ilike(pattern)))
        if job_type:
            found_by = (select(JobDiscovery.discovery_id)
                        .join(Job, Job.id == JobDiscovery.job_id).where(Job.type == job_type))
            query = query.where(Discovery.id.in_(found_by))
        query = after_cursor(query, Discovery, cursor, key=int)
        with self.sessions() as session:
            rows, next_cursor = keyset_page(list(session.scalars(query)), limit)
            links: dict[int, list[str]] = {r.id: [] for r in rows}
            if rows:
                for link in session.scalars(select(JobDiscovery).where(
                        JobDiscovery.discovery_id.in_(list(links)))):
                    links[link.discovery_id].append(link.job_id)
        return [(r, sorted(links[r.id])) for r in rows], next_cursor

    def job_discoveries(self, job_id: str) -> list[Discovery]:
        with self.sessions() as session:
            return list(session.scalars(
                select(Discovery).join(JobDiscovery, JobDiscovery.discovery_id == Discovery.id)
                .where(JobDiscovery.job_id == job_id).order_by(Discovery.id)))
