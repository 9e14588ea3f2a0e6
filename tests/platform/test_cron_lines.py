"""Crontab lines installed by an earlier release keep running after an upgrade.

django-crontab finds the entry a line runs by the md5 of the entry's JSON, function path and
arguments included. These are the hashes of the default schedule's lines as installed since
the jobs took their `--trigger cron` arguments; a change to an entry would strand those lines.
"""

import hashlib
import json

from django.conf import settings
from django.utils.module_loading import import_string

INSTALLED_LINE_HASHES = {
    "37d2f40663bb1ef6bf659619e9f72b93",  # daily: maintenance, then forecast
    "88cd95edad25df5faf96ec685f2b8b62",  # weekly retrain
    "7cb6ceaa57c202b6bae93741bbc04065",  # report e-mail
    "de7dd0a5061982a8378528c4c45e6c13",  # watchdog
}


def _line_hash(entry) -> str:
    # What django_crontab.crontab.Crontab.__hash_job computes.
    return hashlib.md5(json.JSONEncoder(sort_keys=True).encode(entry).encode()).hexdigest()


def test_the_default_schedule_keeps_the_hashes_of_installed_lines(settings):
    assert {_line_hash(entry) for entry in settings.CRONJOBS} == INSTALLED_LINE_HASHES


def test_every_cron_entry_names_a_function_that_imports():
    for entry in settings.CRONJOBS:
        assert callable(import_string(entry[1])), entry[1]
