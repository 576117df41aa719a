import pytest

from kehu.imports.readers import TableError, open_table

from .conftest import write_csv, write_xlsx

ROWS = [["ref", "name"], ["A1", "张三"], ["A2", "李四"]]


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_encodings(tmp_path, encoding, expected):
    t = open_table(write_csv(tmp_path / "f.csv", ROWS, encoding=encoding))
    assert t.encoding == expected
    assert t.headers == ["ref", "name"]
    assert list(t.rows()) == [(2, ["A1", "张三"]), (3, ["A2", "李四"])]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_delimiters(tmp_path, delimiter):
    t = open_table(write_csv(tmp_path / "f.csv", ROWS, delimiter=delimiter))
    assert t.delimiter == delimiter and list(t.rows())[0] == (2, ["A1", "张三"])


def test_line_numbers_count_blank_lines_and_multiline_cells(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('ref,name\r\nA1,"two\r\nlines"\r\n\r\nA2,x\r\n', encoding="utf-8")
    assert list(open_table(path).rows()) == [(2, ["A1", "two\r\nlines"]), (5, ["A2", "x"])]


def test_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["ref", "name"], [None, None], ["A1", "张三"]])
    t = open_table(path)
    assert t.format == "xlsx" and t.headers == ["ref", "name"]
    assert list(t.rows()) == [(3, ["A1", "张三"])]


def test_usage_errors(tmp_path):
    with pytest.raises(TableError, match="No such file"):
        open_table(tmp_path / "missing.csv")
    (tmp_path / "f.xls").write_bytes(b"x")
    with pytest.raises(TableError, match="xls"):
        open_table(tmp_path / "f.xls")
    (tmp_path / "f.pdf").write_bytes(b"x")
    with pytest.raises(TableError, match="Unknown file type"):
        open_table(tmp_path / "f.pdf")
    (tmp_path / "empty.csv").write_bytes(b"\r\n\r\n")
    with pytest.raises(TableError, match="no header"):
        open_table(tmp_path / "empty.csv")
