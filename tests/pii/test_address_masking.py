"""Partial masking of an address keeps county, district, village and road and hides the numbers
that narrow it to a household: the house number, floor, lane and also the 鄰 before the road."""

from __future__ import annotations

import pytest

from gezi.pii.masking import mask_value


@pytest.mark.parametrize(("value", "masked"), [
    ("南投縣埔里鎮大城里3鄰中山路一段7號", "南投縣埔里鎮大城里○鄰中山路一段○號"),
    ("屏東縣屏東市建國里12鄰中正路58巷7號之2", "屏東縣屏東市建國里○○鄰中正路○○巷○號之○"),
    ("花蓮縣秀林鄉富世村十二鄰富世路1號", "花蓮縣秀林鄉富世村○○鄰富世路○號"),
    ("台北市大安區忠孝東路四段100號5樓", "台北市大安區忠孝東路四段○○○號○樓"),
])
def test_the_neighbourhood_number_before_the_road_is_hidden(value, masked):
    assert mask_value("TW_ADDRESS", value) == masked
