"""API doc pages → request/response JSON Schemas (``qrunner schemas generate/check``).

Stages, one module each: :mod:`.markdown` reads the pages' field tables, :mod:`.build` nests
them into JSON Schema, :mod:`.tekton` reads the Tekton prose page, :mod:`.overrides` applies
the reviewed corrections in ``schemas/overrides/``, :mod:`.generate` ties them together.
"""

from __future__ import annotations

from qrunner.schemagen.generate import (
    TARGETS,
    check_schemas,
    generate_schemas,
    render_schema,
    write_schemas,
)

__all__ = ["TARGETS", "check_schemas", "generate_schemas", "render_schema", "write_schemas"]
