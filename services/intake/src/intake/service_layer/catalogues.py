"""Catalogue versions (目录版本): the catalogue in force, and every earlier one a case was accepted under.

At start-up the catalogue in force is recorded under its version. Changing the content without
changing the version is refused, so a version always means one content.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from onething_catalogue.model import Catalogue, CatalogueError
from pydantic import ValidationError

from contracts.canonical import canonical_json

__all__ = ["CatalogueStore", "CatalogueVersions"]


class CatalogueVersions(Protocol):
    """Where every version served is kept (``adapters.catalogue_versions.SqlCatalogueVersions``)."""

    async def record(self, version: str, digest: str, content: dict[str, Any]) -> str:
        """Record ``version`` with its content unless it is recorded already; the digest it is recorded under."""
        ...

    async def content(self, version: str) -> dict[str, Any] | None: ...


def _digest(catalogue: Catalogue) -> str:
    # Defaults left out: a new model attribute with a default does not change what a version means.
    return hashlib.sha256(canonical_json(catalogue.model_dump(mode="json", exclude_defaults=True))).hexdigest()


class CatalogueStore:
    def __init__(self, versions: CatalogueVersions, current: Catalogue) -> None:
        self.versions = versions
        self.current = current
        self._older: dict[str, Catalogue] = {}

    async def record_current(self) -> None:
        digest = _digest(self.current)
        recorded = await self.versions.record(self.current.version, digest, self.current.model_dump(mode="json"))
        if recorded != digest and not await self._recorded_content_is(digest):
            raise CatalogueError(
                f"目录版本 {self.current.version} 已对应另一份内容；修改目录后须提升版本号 / catalogue version "
                f"{self.current.version} already names other content; bump the version after a change"
            )

    async def _recorded_content_is(self, digest: str) -> bool:
        """Whether the recorded content, digested as today, is the current one: the digest's form may have changed
        since it was recorded (catalogues recorded before RFC 8785 wrote ``20.0`` where it now writes ``20``)."""
        content = await self.versions.content(self.current.version)
        try:
            return content is not None and _digest(Catalogue.model_validate(content)) == digest
        except ValidationError:
            return False

    async def version(self, version: str) -> Catalogue:
        """The catalogue a case was accepted under."""
        if version == self.current.version:
            return self.current
        if version not in self._older:
            content = await self.versions.content(version)
            if content is None:
                raise CatalogueError(f"未知目录版本 unknown catalogue version {version!r}")
            try:
                self._older[version] = Catalogue.model_validate(content)
            except ValidationError as exc:  # recorded by an older intake whose model has since changed
                raise CatalogueError(f"目录版本 {version!r} 已无法读取 catalogue version no longer loads: {exc}") from None
        return self._older[version]
