"""ZIP member names as their writers meant them: Windows' own ZIP writes a Taiwanese system's
code page (CP950) and Info-ZIP writes UTF-8, both without the UTF-8 flag that Python needs to
read them right."""

from __future__ import annotations

import zipfile

import pytest

from gezi.pii.scan import member_name, scan_paths

ROWS = "姓名,手機\n王小明,0912345678\n".encode()


class _NoFlagInfo(zipfile.ZipInfo):
    """A member whose name is written in ``encoding`` without the UTF-8 flag."""

    encoding = "cp950"

    def _encodeFilenameFlags(self):  # zipfile's own name for it
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


@pytest.mark.parametrize("encoding", ["cp950", "utf-8"])
def test_member_names_without_the_utf8_flag(tmp_path, encoding):
    path = tmp_path / "匯出.zip"
    info = _NoFlagInfo("客戶名單.csv")
    info.encoding = encoding
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, ROWS)
        archive.writestr("readme.txt", "沒有個資\n")
    with zipfile.ZipFile(path) as archive:
        assert [member_name(i) for i in archive.infolist()] == ["客戶名單.csv", "readme.txt"]
    paths = {f.path for f in scan_paths([path], workers=1).findings}
    assert paths == {f"{path}!客戶名單.csv"}
