"""Roster files: CSV in UTF-8 / UTF-8-BOM / GBK, XLSX, English or Chinese headers, per-row errors."""
import io

import pytest
from openpyxl import Workbook

from cc_kit.errors import ApiError
from services.auth.domain.roster import parse_roster, valid_id_number

HEADER_ZH = "学校代码,学号,姓名,毕业年份,学院,专业,学历,手机,邮箱,身份证号,性别"
ROWS = [
    "10001,2022010101,张伟,2026,计算机学院,软件工程,本科,13900000001,ZW@Example.com,11010519491231002X,男",
    "10001,2022010102,欧阳娜娜,2026届,计算机学院,人工智能,硕士,+86 139-0000-0002,,,女",
]


def parse(content: bytes, school="10001"):
    return parse_roster(content, default_school=school, allowed_school=school)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_every_encoding_schools_use(encoding):
    parsed = parse(("\n".join([HEADER_ZH, *ROWS]) + "\n").encode(encoding))
    assert parsed.errors == []
    first, second = (row.values for row in parsed.rows)
    assert first["name"] == "张伟" and first["college"] == "计算机学院" and first["degree"] == "本科"
    assert first["email"] == "zw@example.com" and first["id_number"] == "11010519491231002X"
    assert first["gender"] == "男" and first["graduation_year"] == 2026
    assert second["name"] == "欧阳娜娜" and second["graduation_year"] == 2026
    assert second["phone"] == "13900000002" and second["email"] is None and second["degree"] == "硕士"
    assert [row.row for row in parsed.rows] == [2, 3]


def test_english_headers_and_tab_separated():
    content = "student_no\tname\tgraduation_year\tcollege\tmajor\tdegree\n2022030101\tTom Li\t2027\t外语学院\t英语\tbachelor\n"
    parsed = parse(content.encode())
    assert parsed.errors == []
    assert parsed.rows[0].values == {"school_code": "10001", "student_no": "2022030101", "name": "Tom Li",
                                     "graduation_year": 2027, "college": "外语学院", "major": "英语",
                                     "degree": "本科"}


def test_headers_with_marks_and_notes_are_recognised():
    content = "学号*,姓名 *,毕业年度,院系,专业名称,学历(专科/本科/硕士/博士)\n2022010101,张伟,2026,计算机学院,软件工程,博士研究生\n"
    parsed = parse(content.encode("gbk"))
    assert parsed.errors == [] and parsed.rows[0].values["degree"] == "博士"


def test_xlsx_with_chinese_headers_and_numeric_cells():
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "毕业年份", "学院", "专业", "学历", "手机", "邮箱", "性别"])
    sheet.append([2022010101, "张伟", 2026, "计算机学院", "软件工程", "本科", 13900000001, "zw@example.com", "男"])
    sheet.append([2022010102.0, "王芳", "2026", "计算机学院", "软件工程", "专科", None, None, "F"])
    sheet.append([None, None, None, None, None, None, None, None, None])  # blank rows are skipped
    sheet.append(["2022010103", "", 2026, "计算机学院", "软件工程", "中专", "123", "not-an-email", "未知"])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse(buffer.getvalue())
    assert [row.values["student_no"] for row in parsed.rows] == ["2022010101", "2022010102"]
    assert parsed.rows[0].values["phone"] == "13900000001"
    assert parsed.rows[1].values["gender"] == "女" and parsed.rows[1].values["degree"] == "专科"
    assert len(parsed.errors) == 1
    error = parsed.errors[0]
    assert error["row"] == 5 and error["student_no"] == "2022010103"
    for fragment in ("姓名不能为空", "学历无效", "手机号格式不正确", "邮箱格式不正确", "性别无效"):
        assert fragment in error["message"]


def test_per_row_errors_keep_the_valid_rows():
    content = "\n".join([
        "学号,姓名,毕业年份,学院,专业,学历,学校代码,身份证号",
        "2022010101,张伟,2026,计算机学院,软件工程,本科,10001,",
        "2022010101,张伟二,2026,计算机学院,软件工程,本科,10001,",
        "2022010103,李娜,二〇二六,计算机学院,软件工程,本科,10001,",
        "2022010104,赵敏,2026,计算机学院,软件工程,本科,10002,",
        "2022010105,孙杰,2026,计算机学院,软件工程,本科,10001,110105194912310021",
        "学号 有空格,周婷,2026,计算机学院,软件工程,本科,10001,",
    ]).encode()
    parsed = parse(content)
    assert [row.values["student_no"] for row in parsed.rows] == ["2022010101"]
    by_row = {e["row"]: e["message"] for e in parsed.errors}
    assert "与第 2 行学号重复" in by_row[3]
    assert "毕业年份无效" in by_row[4]
    assert "只能导入本校（10001）" in by_row[5]
    assert "身份证号无效" in by_row[6]
    assert "学号只能包含" in by_row[7]
    assert parsed.total_rows == 6


def test_missing_required_columns_are_named():
    with pytest.raises(ApiError) as err:
        parse("学号,姓名,学院\n1,张伟,计算机学院\n".encode())
    assert err.value.status == 422 and err.value.code == "invalid_roster"
    assert err.value.extra["missing_columns"] == ["graduation_year", "major", "degree"]
    assert "毕业年份" in err.value.message


@pytest.mark.parametrize("content,status,code", [
    (b"", 422, "invalid_roster"),
    (b"   \n\n", 422, "invalid_roster"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 415, "unsupported_media_type"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "unsupported_media_type"),
    (b"PK\x03\x04garbage", 422, "invalid_roster"),
    (b"\x00\x01\x02binary\x00junk", 415, "unsupported_media_type"),
])
def test_files_that_are_not_rosters(content, status, code):
    with pytest.raises(ApiError) as err:
        parse(content)
    assert (err.value.status, err.value.code) == (status, code)


def test_too_many_rows_is_413():
    content = HEADER_ZH + "\n" + "\n".join(
        f"10001,{2022000000 + i},学生{i},2026,计算机学院,软件工程,本科,,,,男" for i in range(30))
    with pytest.raises(ApiError) as err:
        parse_roster(content.encode(), default_school="10001", max_rows=20)
    assert err.value.status == 413


def test_id_number_check_digit():
    assert valid_id_number("11010519491231002X")  # the example of GB 11643
    assert not valid_id_number("110105194912310021")
    assert not valid_id_number("11010519491231002")
