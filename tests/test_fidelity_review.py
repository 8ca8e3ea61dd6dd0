"""Defects found in review of issue 10's friction fixes."""

from __future__ import annotations

import pytest

from fcsdk.runtime.errors import HandlerNotFoundError
from fcsdk.runtime.loader import load_handler


def test_file_name_suggests_a_function_not_a_class_defined_before_it(tmp_path):
    (tmp_path / "orders_review.py").write_text(
        "class Order:\n"
        "    pass\n\n"
        "class OutOfStock(Exception):\n"
        "    pass\n\n"
        "def place(event, context):\n"
        "    return 'ok'\n"
    )
    with pytest.raises(HandlerNotFoundError) as info:
        load_handler("orders_review.py", str(tmp_path))
    assert "use 'orders_review.place'" in str(info.value)  # was 'orders_review.Order'
