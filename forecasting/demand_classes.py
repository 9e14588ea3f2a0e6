"""The demand classes an item's history falls into (Syntetos-Boylan, see `forecasting.engine`).

Kept apart from the engine so that the models and the API can name them without importing
NumPy, which would add about 0.2 s to the start of every command and web worker.
"""

from enum import StrEnum


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    INSUFFICIENT = "insufficient"  # too little history to classify: the naive fallback
