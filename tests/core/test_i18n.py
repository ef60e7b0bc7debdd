"""Chinese first, English too; catalogs complete."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def test_pages_are_chinese_by_default_and_english_after_the_switch(web, world):
    assert "登录" in web.get("/login", headers={"Accept-Language": "en-US"}).text
    web.submit("/login", {"next": "/login"}, post_url="/locale/en")
    assert "Sign in" in web.get("/login").text
    web.login("a_clerk")
    assert "客户档案" in web.get("/admin/").text


def test_the_language_switch_sticks_for_the_session(web, world):
    web.login("a_clerk")
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")
    page = web.get("/admin/").text
    assert "Customer files" in page and "客户档案" not in page
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/zh_CN")
    assert "客户档案" in web.get("/admin/").text


def test_flask_admin_own_strings_are_translated(web, world):
    web.login("a_clerk")
    assert "新建" in web.get("/admin/customer/").text or "创建" in web.get("/admin/customer/").text


def test_a_lists_filter_names_and_page_size_menu_are_chinese(web, world):
    """Flask-Admin names a filter on a related row's column "branch / 分支机构 / Code" and
    its page-size menu "20 items" (and "20 项目", "projects", in its own Chinese)."""
    import json
    import re
    from html import unescape

    web.login("admin")
    for url in ("/admin/ticket/", "/admin/customer/", "/admin/user/", "/admin/audit/"):
        page = web.get(url).text
        groups = json.loads(unescape(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1)))
        assert groups and not [name for name in groups if re.search(r"[A-Za-z]", name)], (url, list(groups))
        menu = re.sub(r"<[^>]+>", " ", re.search(r'data-testid="page-size">(.*?)</li>', page, re.S).group(1))
        assert "每页 20 条" in menu and "item" not in menu and "项目" not in menu, menu


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """Strings as they are in the code now, not as the last extraction saw them."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    root = CATALOGS.parents[1]
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."], cwd=root, check=True,
                   capture_output=True)
    with open(pot, "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_catalog_is_complete(locale, fresh_template):
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    template = fresh_template
    missing = [m.id for m in template if m.id and m.id not in catalog]
    empty = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing and not empty and not fuzzy, (missing[:5], empty[:5], fuzzy[:5])
