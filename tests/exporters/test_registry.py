from __future__ import annotations

import pytest

from ardoise.exporters import EXPORTERS, UnknownExportFormat, get_exporter
from ardoise.odsql.errors import QueryError


def test_registry_has_exactly_the_six_formats() -> None:
    assert sorted(EXPORTERS) == ["csv", "geojson", "json", "jsonl", "parquet", "xlsx"]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_exporter_declares_media_type_and_extension(fmt: str) -> None:
    exporter = get_exporter(fmt)
    assert exporter is EXPORTERS[fmt]
    assert exporter.extension == fmt
    assert "/" in exporter.media_type


def test_unknown_format_is_a_400_style_query_error() -> None:
    with pytest.raises(UnknownExportFormat) as caught:
        get_exporter("xyz")
    error = caught.value
    assert isinstance(error, QueryError)
    assert error.body() == {
        "error_code": "InvalidRESTParameterError",
        "message": "Unknown export format: xyz. "
        "Available formats: csv, geojson, json, jsonl, parquet, xlsx.",
    }


def test_unknown_format_message_is_capped() -> None:
    with pytest.raises(UnknownExportFormat) as caught:
        get_exporter("x" * 500)
    assert len(caught.value.message) < 200
