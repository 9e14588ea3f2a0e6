"""The Django admin in a real browser: what only a browser exercises, end to end.

Headless Chromium, driven by Selenium, signs in through the login form, types in the search box,
clicks links and buttons, and uploads a file through the file input, against pytest-django's live
server on a transactional database (the server runs in another thread and must see committed
rows). The rules behind each page are tested without a browser, faster and in more detail, in
`tests/inventory/test_admin.py` and `tests/platform/csvio/test_admin_import.py`.

Every wait is an explicit `WebDriverWait` on what the next page shows, never a sleep.
"""

import json
import urllib.request
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tokens import tokens_for_user
from inventory import services
from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from items.item_csv import CSV_COLUMNS
from items.models import Item
from tests.browser.screenshots import screenshot_of_the_end
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD, ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Generous: two shared cores and a cold Chromium can be slow; a wait ends as soon as it is met.
WAIT_SECONDS = 20

ITEMS_CSV = (
    "sku,name,category,par_level\n"
    "SKU-2001,Basmati rice,Dry goods,5\n"
    "SKU-2002,Olive oil,Oils,abc\n"
    "SKU-2003,Sea salt,Spices,1.5\n"
)


# --- helpers --------------------------------------------------------------------------------


def wait_for(browser, css: str):
    """The first element matching `css`, once the page shows it."""
    return WebDriverWait(browser, WAIT_SECONDS).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def click_and_wait_for(browser, element, css: str):
    """Click what loads a new page, then wait for that page (not the old one) to show `css`."""
    old_page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    # While the page is being replaced, chromedriver may answer about the old node with an
    # inspector error instead of "stale": ask again until it says stale.
    WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        EC.staleness_of(old_page)
    )
    return wait_for(browser, css)


def sign_in(browser, live_server, user, next_url: str) -> None:
    """Sign in through the admin's login form and land on `next_url`."""
    browser.get(f"{live_server.url}{reverse('admin:login')}?{urlencode({'next': next_url})}")
    wait_for(browser, "#id_username").send_keys(user.email)
    browser.find_element(By.ID, "id_password").send_keys(TEST_PASSWORD)
    click_and_wait_for(browser, browser.find_element(By.CSS_SELECTOR, "[type=submit]"), "#content")
    assert browser.current_url == f"{live_server.url}{next_url}"


def result_rows(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")


def cell(row, field: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f".field-{field}").text


def api_get(live_server, path: str, user) -> dict:
    """GET an API route of the live server with a real bearer token of `user`."""
    request = urllib.request.Request(
        f"{live_server.url}{path}",
        headers={"Authorization": f"Bearer {tokens_for_user(user).access_token}"},
    )
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
        return json.load(response)


def received(sku: str, name: str, location, quantity: str) -> StockRecord:
    """Stock of a new item, received through the service (one ledger row)."""
    item = ItemFactory(sku=sku, name=name, uom="kg")
    services.stock_receive(item=item, location=location, quantity=Decimal(quantity))
    return item.stock_records.get(location=location, lot="")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def staff(transactional_db):
    return user_with_role("staff", email="browser-staff@example.com")


@pytest.fixture
def viewer(transactional_db):
    return user_with_role("viewer", email="browser-viewer@example.com")


@pytest.fixture
def walk_in(transactional_db):
    return LocationFactory(code="WALK-IN", name="Walk-in cooler")


@pytest.fixture
def rice(walk_in) -> StockRecord:
    """10 kg of rice in the walk-in, beside some oil, so a search has something to leave out."""
    received("SKU-7002", "Olive oil", walk_in, "4")
    return received("SKU-7001", "Basmati rice", walk_in, "10")


@pytest.fixture
def upload_dir(settings, tmp_path):
    # The live server reads the same settings object: its pending uploads go here.
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


# --- static files ---------------------------------------------------------------------------


def test_the_admin_pages_load_their_stylesheets(browser, live_server):
    browser.get(f"{live_server.url}{reverse('admin:login')}")
    wait_for(browser, "#login-form")

    # A sheet that failed to load has no rules to read (reading them throws): counted as 0.
    sheets = browser.execute_script(
        "return Array.from(document.styleSheets, sheet => {"
        "  try { return [sheet.href, sheet.cssRules.length]; } catch { return [sheet.href, 0]; }"
        "});"
    )
    header_background = browser.execute_script(
        "return getComputedStyle(document.getElementById('header')).backgroundColor;"
    )

    assert any(href.endswith("/admin/css/base.css") for href, _rules in sheets if href)
    assert all(rules > 0 for _href, rules in sheets), sheets
    assert header_background not in ("", "rgba(0, 0, 0, 0)")  # base.css colours the header


# --- counting stock -------------------------------------------------------------------------


def test_staff_counts_stock_found_by_sku_and_sees_it_in_the_ledger_and_the_api(
    browser, live_server, staff, rice
):
    sign_in(browser, live_server, staff, reverse("admin:inventory_stockrecord_changelist"))

    # Find the item with the change list's search box.
    search = wait_for(browser, "#searchbar")
    search.send_keys("SKU-7001")
    click_and_wait_for(
        browser, browser.find_element(By.CSS_SELECTOR, "#changelist-search [type=submit]"), "tbody"
    )
    rows = result_rows(browser)
    assert len(rows) == 1
    assert "SKU-7001" in cell(rows[0], "item")

    # Count it on the stock record's page.
    link = rows[0].find_element(By.CSS_SELECTOR, "th a")
    quantity = click_and_wait_for(browser, link, "#id_quantity")
    quantity.clear()
    quantity.send_keys("7.5")
    browser.find_element(By.ID, "id_reason").send_keys("Shelf count")
    message = click_and_wait_for(
        browser, browser.find_element(By.NAME, "_save"), ".messagelist .success"
    )
    assert "SKU-7001" in message.text
    [listed] = result_rows(browser)  # back on the list, still searched
    assert Decimal(cell(listed, "quantity")) == Decimal("7.5")

    # The ledger row, from the record's link to its movements.
    click_and_wait_for(browser, listed.find_element(By.CSS_SELECTOR, "th a"), "#id_quantity")
    ledger_link = browser.find_element(By.LINK_TEXT, "Movements of this stock record")
    click_and_wait_for(browser, ledger_link, "#result_list")
    newest = result_rows(browser)[0]
    assert cell(newest, "kind") == "Count"
    assert Decimal(cell(newest, "quantity_delta")) == Decimal("-2.5")
    assert Decimal(cell(newest, "quantity_after")) == Decimal("7.5")
    assert cell(newest, "created_by") == staff.email
    assert cell(newest, "reason") == "Shelf count"

    # The count went through the stock service: one ledger row, by the user, from the admin.
    count = StockMovement.objects.get(stock_record=rice, kind=MovementKind.COUNT)
    assert (count.source, count.created_by) == (MovementSource.ADMIN, staff)
    assert_ledger_balances()

    # And the API answers the new quantity.
    body = api_get(live_server, "/api/inventory?sku=SKU-7001", staff)
    assert [(row["sku"], row["quantity"]) for row in body["data"]] == [("SKU-7001", 7.5)]


# --- read only for viewers ------------------------------------------------------------------

# Anything of the change form a user could type into or choose from.
EDITABLE_FIELDS = ", ".join(
    f"#stockrecord_form {tag}" for tag in ("input:not([type=hidden])", "select", "textarea")
)


def test_a_viewer_sees_a_stock_record_read_only_without_a_save_button(
    browser, live_server, viewer, rice
):
    sign_in(
        browser, live_server, viewer, reverse("admin:inventory_stockrecord_change", args=[rice.pk])
    )

    quantity = wait_for(browser, ".field-quantity .readonly")

    assert Decimal(quantity.text) == Decimal("10")
    assert browser.find_elements(By.CSS_SELECTOR, "[name=_save], [name=_continue]") == []
    assert browser.find_elements(By.CSS_SELECTOR, EDITABLE_FIELDS) == []


def test_a_viewer_forcing_a_post_of_the_change_form_changes_nothing(
    browser, live_server, viewer, rice
):
    sign_in(
        browser, live_server, viewer, reverse("admin:inventory_stockrecord_change", args=[rice.pk])
    )
    wait_for(browser, "#stockrecord_form")

    # What a hand-made form would send: the viewer's session and the page's own CSRF token.
    status = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const data = new FormData();
        data.append("csrfmiddlewaretoken",
                    document.querySelector("[name=csrfmiddlewaretoken]").value);
        data.append("quantity", "3");
        data.append("quantity_seen", "10");
        data.append("reason", "forced");
        data.append("_save", "Save");
        fetch(location.href, {method: "POST", body: data, credentials: "same-origin"})
            .then(response => done(response.status), error => done(String(error)));
        """
    )

    assert status == 403
    rice.refresh_from_db()
    assert rice.quantity == Decimal("10")
    assert rice.movements.count() == 1  # the receipt only


# --- the CSV import page --------------------------------------------------------------------


def preview_upload(browser, live_server, user, csv_path) -> None:
    """From the item list, "Import CSV", choose the file and upload it: the preview page."""
    sign_in(browser, live_server, user, reverse("admin:items_item_changelist"))
    import_link = wait_for(browser, "a.csv-import-link")
    file_input = click_and_wait_for(browser, import_link, "#id_file")
    file_input.send_keys(str(csv_path))
    upload = browser.find_element(By.CSS_SELECTOR, "[type=submit][value='Upload and preview']")
    click_and_wait_for(browser, upload, "#csv-import-counts")


@pytest.fixture
def items_csv(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(ITEMS_CSV, encoding="utf-8")
    return path


def test_the_csv_import_preview_shows_the_refused_row_and_writes_nothing(
    browser, live_server, staff, items_csv, upload_dir
):
    preview_upload(browser, live_server, staff, items_csv)

    errors = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#csv-import-errors tbody tr")
    ]
    counts = browser.find_element(By.ID, "csv-import-counts").text
    first_rows = browser.find_element(By.ID, "csv-import-preview").text

    assert errors == [["3", "par_level", "par_level must be a number, not 'abc'."]]
    assert "Would insert 2" in counts
    assert "Rows with errors 1" in counts
    assert "Basmati rice" in first_rows
    assert "Nothing has been written yet" in browser.find_element(By.ID, "content-main").text
    assert not Item.objects.exists()
    assert len(list(upload_dir.iterdir())) == 1  # kept for the confirmation, and only that


def test_confirming_the_csv_preview_imports_the_good_rows_and_skips_the_refused_one(
    browser, live_server, staff, items_csv, upload_dir
):
    preview_upload(browser, live_server, staff, items_csv)

    confirm = browser.find_element(By.CSS_SELECTOR, "button[value=confirm]")
    message = click_and_wait_for(browser, confirm, ".messagelist .warning")

    assert "skipped 1 row with errors (line 3)" in message.text
    assert sorted(Item.objects.values_list("sku", flat=True)) == ["SKU-2001", "SKU-2003"]
    assert list(upload_dir.iterdir()) == []


# --- stock operations on a phone -----------------------------------------------------------

PHONE_WIDTH, PHONE_HEIGHT = 390, 844


@pytest.fixture
def phone(browser, screenshot):
    """The browser as wide as a phone, put back to its usual size afterwards."""
    usual = browser.get_window_size()
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT)
    try:
        yield browser
    finally:
        screenshot_of_the_end(browser, screenshot)  # still as wide as the phone
        browser.set_window_size(usual["width"], usual["height"])


def test_staff_record_a_delivery_on_a_phone_with_the_fields_inside_the_screen(
    phone, live_server, staff, rice, screenshot
):
    record_page = reverse("admin:inventory_stockrecord_change", args=[rice.pk])
    sign_in(phone, live_server, staff, record_page)

    receive = phone.find_element(By.CSS_SELECTOR, "a.stock-operation[href$='/move/receive/']")
    quantity = click_and_wait_for(phone, receive, "#id_quantity")
    screenshot(phone, "receive-form")

    viewport = phone.execute_script("return document.documentElement.clientWidth")
    assert viewport <= PHONE_WIDTH
    # No sideways scrolling, and every field one types into lies wholly inside the screen,
    # tall enough to tap.
    assert phone.execute_script("return document.documentElement.scrollWidth") <= viewport
    # (Inside its form row too: the row hides what sticks out of it.)
    for row in phone.find_elements(By.CSS_SELECTOR, "#content-main .form-row"):
        outer = row.rect
        for field in row.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select"):
            box, name = field.rect, field.get_attribute("name")
            assert 0 <= outer["x"] <= box["x"], name
            assert box["x"] + box["width"] <= outer["x"] + outer["width"] <= viewport, name
            assert box["height"] >= 44, name

    quantity.send_keys("2.5")
    phone.find_element(By.ID, "id_reason").send_keys("Morning delivery")
    message = click_and_wait_for(
        phone, phone.find_element(By.NAME, "_submit"), ".messagelist .success"
    )

    assert "Received 2.5 kg of Basmati rice (SKU-7001)" in message.text
    rice.refresh_from_db()
    assert rice.quantity == Decimal("12.5")
    receipt = rice.movements.latest("id")
    assert (receipt.kind, receipt.source, receipt.created_by, receipt.reason) == (
        MovementKind.RECEIPT,
        MovementSource.ADMIN,
        staff,
        "Morning delivery",
    )
    assert_ledger_balances()


def test_staff_count_the_walk_in_on_a_phone_and_only_the_changed_lines_are_written(
    phone, live_server, staff, walk_in, screenshot
):
    records = [received(f"SKU-81{n:02d}", f"Item {n:02d}", walk_in, "10") for n in range(20)]
    sign_in(
        phone, live_server, staff, reverse("admin:inventory_location_change", args=[walk_in.pk])
    )

    take = phone.find_element(By.CSS_SELECTOR, "a.stock-operation[href$='/stock-take/']")
    click_and_wait_for(phone, take, ".stock-take-sheet input")
    screenshot(phone, "sheet")

    viewport = phone.execute_script("return document.documentElement.clientWidth")
    assert phone.execute_script("return document.documentElement.scrollWidth") <= viewport
    fields = phone.find_elements(By.CSS_SELECTOR, ".stock-take-sheet input")
    assert len(fields) == 20
    for field in fields:
        box = field.rect
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport
        assert box["height"] >= 44

    typed = {records[1]: "9", records[4]: "10", records[12]: "3,5", records[17]: "0"}
    for record, value in typed.items():
        phone.find_element(By.ID, f"id_count-{record.pk}").send_keys(value)
    preview = click_and_wait_for(
        phone, phone.find_element(By.CSS_SELECTOR, "button[value=preview]"), ".stock-take-preview"
    )
    screenshot(phone, "preview")
    assert len(preview.find_elements(By.CSS_SELECTOR, "tbody tr")) == 3  # 10 counted as 10
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT).exists()

    message = click_and_wait_for(
        phone, phone.find_element(By.CSS_SELECTOR, "button[value=confirm]"), ".messagelist .success"
    )

    assert "4 line(s) counted, 3 changed" in message.text
    counts = StockMovement.objects.filter(kind=MovementKind.COUNT)
    assert sorted(row.stock_record_id for row in counts) == sorted(
        records[n].pk for n in (1, 12, 17)
    )
    assert {(row.source, row.created_by) for row in counts} == {(MovementSource.ADMIN, staff)}
    assert StockRecord.objects.get(pk=records[12].pk).quantity == Decimal("3.5")
    assert_ledger_balances()


# --- the dashboard --------------------------------------------------------------------------


@pytest.fixture
def day_of_stock(walk_in):
    """A morning's state: an item never stocked, one used up, one below par, a lot expiring
    tomorrow, and today's receipts and an issue."""
    ItemFactory(sku="SKU-9001", name="Saffron", uom="g")  # never stocked: out
    emptied = received("SKU-9002", "Butter", walk_in, "3").item
    services.stock_issue(item=emptied, location=walk_in, quantity=Decimal("3"))  # out
    low = received("SKU-9003", "Flour", walk_in, "2")
    Item.objects.filter(pk=low.item_id).update(par_level=Decimal("10"))  # below par
    cream = received("SKU-9004", "Cream", walk_in, "6").item
    services.stock_receive(
        item=cream,
        location=walk_in,
        quantity=Decimal("2"),
        lot="L-42",
        expires_at=timezone.localdate() + timedelta(days=1),
    )
    ItemFactory(sku="SKU-9005", name="Old stock", active=False)  # inactive: never counted
    return walk_in


def dashboard_figures(browser) -> dict[str, tuple[str, str]]:
    """{label: (value shown, link)} of every figure on the dashboard."""
    return {
        figure.find_element(By.CSS_SELECTOR, ".dashboard-label").text: (
            figure.find_element(By.CSS_SELECTOR, ".dashboard-value").text,
            figure.find_element(By.TAG_NAME, "a").get_attribute("href"),
        )
        for figure in browser.find_elements(By.CSS_SELECTOR, ".dashboard-figure")
    }


def stock_facts() -> dict[str, set[str]]:
    """What the dashboard should count, worked out here from the rows themselves."""
    today = timezone.localdate()
    on_hand = {item.sku: Decimal(0) for item in Item.objects.filter(active=True)}
    for record in StockRecord.objects.select_related("item").filter(item__active=True):
        on_hand[record.item.sku] += record.quantity
    pars = dict(Item.objects.values_list("sku", "par_level"))
    soon = today + timedelta(days=settings.EXPIRY_WARNING_DAYS)
    return {
        "out of stock": {sku for sku, quantity in on_hand.items() if quantity <= 0},
        "below par": {sku for sku, q in on_hand.items() if 0 < q < pars[sku]},
        "expiring": {
            f"{record.item.sku}/{record.lot}"
            for record in StockRecord.objects.select_related("item")
            if record.quantity > 0 and record.expires_at and today <= record.expires_at <= soon
        },
    }


def test_the_dashboard_shows_the_figures_of_the_database_and_links_to_what_it_counts(
    browser, live_server, staff, day_of_stock, screenshot
):
    sign_in(browser, live_server, staff, reverse("admin:index"))
    wait_for(browser, ".dashboard svg.movement-chart")
    screenshot(browser, "dashboard")

    shown = dashboard_figures(browser)
    facts = stock_facts()
    today = timezone.localdate()
    movements_today = StockMovement.objects.filter(created_at__date=today)
    expiring = f"lots expiring within {settings.EXPIRY_WARNING_DAYS} days"
    assert facts["out of stock"] == {"SKU-9001", "SKU-9002"}  # the fixture is what it says
    assert shown["out of stock"][0] == str(len(facts["out of stock"]))
    assert shown["below par"][0] == str(len(facts["below par"]))
    assert shown[expiring][0] == str(len(facts["expiring"]))
    assert shown["movements today"][0] == str(movements_today.count())
    assert shown["receipts today"][0] == str(
        movements_today.filter(kind=MovementKind.RECEIPT).count()
    )
    assert shown["issues today"][0] == str(movements_today.filter(kind=MovementKind.ISSUE).count())

    # Each figure opens the list of exactly what it counted.
    browser.get(shown["out of stock"][1])
    wait_for(browser, "#result_list")
    assert {cell(row, "sku") for row in result_rows(browser)} == facts["out of stock"]
    browser.get(shown["issues today"][1])
    wait_for(browser, "#result_list")
    assert [cell(row, "kind") for row in result_rows(browser)] == ["Issue"]


def test_a_viewer_sees_the_same_dashboard_with_nothing_to_change(
    browser, live_server, staff, viewer, day_of_stock, screenshot
):
    sign_in(browser, live_server, viewer, reverse("admin:index"))
    wait_for(browser, ".dashboard")
    screenshot(browser, "dashboard")
    facts = stock_facts()

    shown = dashboard_figures(browser)

    assert shown["out of stock"][0] == str(len(facts["out of stock"]))
    assert shown["below par"][0] == str(len(facts["below par"]))
    assert browser.find_elements(By.CSS_SELECTOR, "#content-main a.addlink") == []
    # The list behind a figure offers downloads, but no import and no stock operations.
    browser.get(shown["below par"][1])
    wait_for(browser, "a.xlsx-export-link")
    assert browser.find_elements(By.CSS_SELECTOR, "a.csv-import-link") == []
    assert {cell(row, "sku") for row in result_rows(browser)} == facts["below par"]
    record = StockRecord.objects.filter(item__sku="SKU-9003").get()
    browser.get(
        f"{live_server.url}{reverse('admin:inventory_stockrecord_change', args=[record.pk])}"
    )
    wait_for(browser, ".field-quantity .readonly")
    assert browser.find_elements(By.CSS_SELECTOR, "a.stock-operation") == []


# --- spreadsheets ---------------------------------------------------------------------------


def downloaded(folder, suffix: str):
    """The file the browser finished downloading into `folder`, once it is there."""

    def finished(_browser):
        done = [path for path in folder.iterdir() if path.name.endswith(suffix)]
        return done[0] if done else False

    return finished


def test_items_exported_as_xlsx_and_imported_back_are_unchanged(
    browser, live_server, staff, walk_in, upload_dir, tmp_path, screenshot
):
    for n in range(5):
        ItemFactory(sku=f"SKU-95{n:02d}", name=f"Item {n}", category="Dry goods", par_level=n)
    ItemFactory(sku="SKU-9599", name="Crème fraîche ½", category="Dairy", par_level="1.25")
    before = list(Item.objects.order_by("sku").values_list(*CSV_COLUMNS, "updated_at"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    sign_in(browser, live_server, staff, reverse("admin:items_item_changelist"))

    wait_for(browser, "a.xlsx-export-link").click()
    workbook = WebDriverWait(browser, WAIT_SECONDS).until(downloaded(downloads, ".xlsx"))
    click_and_wait_for(
        browser, browser.find_element(By.CSS_SELECTOR, "a.csv-import-link"), "#id_file"
    )
    browser.find_element(By.ID, "id_file").send_keys(str(workbook))
    upload = browser.find_element(By.CSS_SELECTOR, "[type=submit][value='Upload and preview']")
    counts = click_and_wait_for(browser, upload, "#csv-import-counts").text
    screenshot(browser, "preview")

    assert "Rows read 6" in counts
    assert "Would insert 0" in counts
    assert "Would update 0" in counts
    assert "Unchanged 6" in counts
    click_and_wait_for(
        browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"), "#result_list"
    )
    assert list(Item.objects.order_by("sku").values_list(*CSV_COLUMNS, "updated_at")) == before


def test_the_dashboard_fits_a_phone_with_every_figure_on_screen(
    phone, live_server, staff, day_of_stock, screenshot
):
    sign_in(phone, live_server, staff, reverse("admin:index"))
    wait_for(phone, ".dashboard svg.movement-chart")
    screenshot(phone, "dashboard")

    viewport = phone.execute_script("return document.documentElement.clientWidth")
    assert phone.execute_script("return document.documentElement.scrollWidth") <= viewport
    links = phone.find_elements(By.CSS_SELECTOR, ".dashboard-figure a")
    assert len(links) >= 10
    for link in links:
        box = link.rect
        assert box["x"] >= 0, link.text
        assert box["x"] + box["width"] <= viewport, link.text
        assert box["height"] >= 44, link.text  # a thumb's worth
    chart = phone.find_element(By.CSS_SELECTOR, "svg.movement-chart").rect
    assert chart["x"] + chart["width"] <= viewport
