"""The daily forecast report e-mail, rendered from a real forecast run on the demo data."""

import email
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from forecasting.models import ForecastRun, ItemForecast
from forecasting.services import run_forecast
from inventory import demo_data
from inventory_project.jobs.models import JobRun
from items.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REPORT_RECIPIENTS = []


@pytest.fixture
def forecast_run() -> ForecastRun:
    demo_data.load_demo_data()
    run = run_forecast(n_jobs=1)
    assert run.status == ForecastRun.Status.SUCCEEDED
    return run


def send(*args: str) -> str:
    out = io.StringIO()
    call_command("send_forecast_report", *args, stdout=out)
    return out.getvalue()


def parts(message) -> tuple[str, str]:
    """The plain-text body and the HTML alternative of a sent message."""
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def flagged_skus(run: ForecastRun) -> list[str]:
    return list(
        ItemForecast.objects.filter(run=run, is_high_variance=True).values_list(
            "item__sku", flat=True
        )
    )


def test_the_report_goes_to_the_given_address_as_one_message(forecast_run):
    send("--to", "ops@example.com")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]


def test_the_subject_names_the_run_date_and_ends_with_its_health(forecast_run):
    send("--to", "ops@example.com")

    subject = mail.outbox[0].subject
    assert f"{forecast_run.started_at:%Y-%m-%d}" in subject
    assert subject.endswith(": " + forecast_run.get_health_display().split(" (")[0])


def test_the_message_has_a_text_part_and_an_html_part(forecast_run):
    send("--to", "ops@example.com")

    text, html = parts(mail.outbox[0])
    assert "RUN SUMMARY" in text
    assert "Run summary" in html


def test_the_chart_is_inline_and_referenced_from_the_html(forecast_run):
    send("--to", "ops@example.com")

    message = mail.outbox[0]
    parsed = email.message_from_bytes(message.message().as_bytes())
    images = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert images
    _text, html = parts(message)
    for image in images:
        content_id = image["Content-ID"].strip("<>")
        assert image.get_content_disposition() == "inline"
        assert f'src="cid:{content_id}"' in html


def test_the_flagged_items_are_in_both_parts(forecast_run):
    skus = flagged_skus(forecast_run)
    assert skus, "the demo data should give high-variance items"

    send("--to", "ops@example.com")

    text, html = parts(mail.outbox[0])
    for sku in skus[:10]:
        assert sku in text
        assert sku in html


def test_the_manager_sections_open_both_parts_before_the_statistics(forecast_run):
    send("--to", "ops@example.com")

    text, html = parts(mail.outbox[0])
    text_headings = ("WHAT TO ORDER", "RUNNING LOW", "WHAT LOOKS WRONG", "FORECAST STATISTICS")
    html_headings = ("What to order", "Running low", "What looks wrong", "Forecast statistics")
    assert text.splitlines()[2].startswith("WHAT TO ORDER")
    assert [text.index(h) for h in text_headings] == sorted(text.index(h) for h in text_headings)
    assert [html.index(h) for h in html_headings] == sorted(html.index(h) for h in html_headings)


def test_dry_run_writes_the_html_and_sends_nothing(forecast_run, tmp_path):
    path = tmp_path / "report.html"

    send("--dry-run", str(path))

    assert mail.outbox == []
    html = path.read_text()
    assert "Run summary" in html
    # The file is read outside a mail client: its charts are embedded, not cid: references.
    assert "data:image/png;base64," in html
    assert "cid:" not in html


def test_item_names_with_dollar_signs_are_charted_literally_and_the_report_is_sent(
    forecast_run,
):
    Item.objects.update(name=r"Salt $x^$ 5 \frac")

    send("--to", "ops@example.com")

    (message,) = mail.outbox
    assert any(part.get_content_type() == "image/png" for part in message.message().walk())


def test_report_recipients_are_used_without_to(forecast_run, settings):
    settings.REPORT_RECIPIENTS = ["a@example.com", "b@example.com"]

    send()

    assert mail.outbox[0].to == ["a@example.com", "b@example.com"]


def test_the_send_is_recorded_as_a_job_run(forecast_run):
    send("--to", "ops@example.com")

    assert JobRun.objects.get(name="send_forecast_report").status == JobRun.Status.SUCCEEDED


def test_no_recipients_is_an_error(db):
    with pytest.raises(CommandError, match="No recipients"):
        send()


def test_no_succeeded_forecast_run_is_an_error(db):
    with pytest.raises(CommandError, match="No succeeded forecast run"):
        send("--to", "ops@example.com")

    assert mail.outbox == []
