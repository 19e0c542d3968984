"""limit/offset windows as the portal applies them (the language's input caps are tested in
tests/odsql/test_limits.py)."""

from __future__ import annotations

import pytest

from ardoise.odsql.errors import InvalidParameter, LimitExceeded
from ardoise.query.limits import Window, check_window, parse_int_parameter


@pytest.mark.parametrize(
    ("limit", "offset", "grouped", "export", "window"),
    [
        (None, None, False, False, Window(10, 0)),
        (0, 0, False, False, Window(0, 0)),
        (100, 9900, False, False, Window(100, 9900)),
        (-1, None, False, False, Window(100, 0)),
        (-1, None, True, False, Window(100, 0)),
        (20000, None, True, False, Window(20000, 0)),
        (100, 19900, True, False, Window(100, 19900)),
        (None, None, False, True, Window(None, 0)),
        (-1, None, True, True, Window(None, 0)),
        (1_000_000, None, False, True, Window(1_000_000, 0)),
        (100, 9900, False, True, Window(100, 9900)),
    ],
)
def test_valid_windows(
    limit: int | None, offset: int | None, grouped: bool, export: bool, window: Window
) -> None:
    assert check_window(limit, offset, grouped=grouped, export=export) == window


@pytest.mark.parametrize(
    ("limit", "offset", "grouped", "export", "message"),
    [
        (
            101,
            None,
            False,
            False,
            "Invalid value for limit API parameter: 101 was found but <= 100 is expected.",
        ),
        (
            100,
            9901,
            False,
            False,
            "Invalid value for sum of offset + limit API parameter: 10001 was found but <= 10000 is expected.",
        ),
        (
            -1,
            9901,
            False,
            False,
            "Invalid value for sum of offset + limit API parameter: 10001 was found but <= 10000 is expected.",
        ),
        (
            20001,
            None,
            True,
            False,
            "Invalid value for limit API parameter: 20001 was found but <= 20000 is expected.",
        ),
        (
            1,
            20000,
            True,
            False,
            "Invalid value for sum of offset + limit API parameter: 20001 was found but <= 20000 is expected.",
        ),
        (
            -2,
            None,
            False,
            False,
            "Invalid value for limit API parameter: -2 was found but >= -1 is expected.",
        ),
        (
            10,
            -5,
            False,
            False,
            "Invalid value for offset API parameter: -5 was found but >= 0 is expected.",
        ),
        (
            -1,
            10,
            False,
            True,
            "Invalid value for sum of offset + limit API parameter: 10 was found but <= 10000 is expected.",
        ),
        (
            -3,
            None,
            False,
            True,
            "Invalid value for limit API parameter: -3 was found but >= -1 is expected.",
        ),
    ],
)
def test_refused_windows(
    limit: int, offset: int | None, grouped: bool, export: bool, message: str
) -> None:
    with pytest.raises(LimitExceeded) as info:
        check_window(limit, offset, grouped=grouped, export=export)
    assert info.value.message == message
    assert info.value.error_code == "InvalidRESTParameterError"


@pytest.mark.parametrize(
    ("raw", "value"), [(None, None), (5, 5), ("12", 12), (" -1 ", -1), ("+3", 3)]
)
def test_int_parameters(raw: str | int | None, value: int | None) -> None:
    assert parse_int_parameter("limit", raw) == value


@pytest.mark.parametrize("raw", ["", "ten", "1.5", "1e3", "١٢", "9" * 40, "--1"])
def test_bad_int_parameters(raw: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_int_parameter("limit", raw)
    assert info.value.error_code == "InvalidRESTParameterError"
