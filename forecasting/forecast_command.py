"""The shared body of `manage.py forecast` and `manage.py retrain`.

Each runs its service under the job lock (`inventory_project.jobs.runner.run_job`, so two hosts
never run it at once and every run is recorded), heartbeats after every batch, logs one line a
batch, draws a progress bar on a terminal and prints the run's summary. A failed run exits
non-zero.
"""

from django.conf import settings
from tqdm import tqdm

from forecasting.models import ForecastRun
from inventory_project.jobs.command import JobCommand
from inventory_project.jobs.runner import JobContext


class ForecastCommand(JobCommand):
    def run_service(self, **options) -> ForecastRun:
        raise NotImplementedError

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--batch-size", type=int, help="Items per batch (FORECAST_BATCH_SIZE).")
        parser.add_argument("--jobs", type=int, help="Worker processes (FORECAST_N_JOBS).")
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Replace an unfinished run of the same day instead of resuming it.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, trigger: str, **options):
        bar = tqdm(
            desc=self.label,
            unit="items",
            disable=True if options["no_progress"] else None,
            file=self.stderr._out,
        )

        def task(context: JobContext) -> dict:
            def progress(run: ForecastRun) -> None:
                context.heartbeat()
                bar.total = run.items_total
                bar.update(run.items_done - bar.n)

            run = self.run_service(
                progress=progress,
                resume=not options["restart"],
                batch_size=options["batch_size"],
                n_jobs=options["jobs"],
            )
            preload = getattr(run, "preload_thread", None)
            if preload is not None:
                # The process would end the thread with it: wait, within the preload's limit.
                preload.join(timeout=settings.CACHE_PRELOAD_TIMEOUT_MS / 1000 + 5)
            return _summary(run)

        with bar:
            self.run_as_job(task, trigger=trigger)


def _summary(run: ForecastRun) -> dict:
    return {
        "run": run.pk,
        "kind": run.kind,
        "status": run.status,
        "history_end": run.history_end.isoformat(),
        "items": run.items_done,
        "batches": run.batches_done,
        "seconds": run.duration_seconds,
        "average_item_mape": run.average_item_mape,
        "average_wape": run.average_wape,
        "average_mase": run.average_mase,
        "health": run.health,
        "high_variance_items": run.high_variance_count,
    }
