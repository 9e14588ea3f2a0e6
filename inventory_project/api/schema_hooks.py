"""drf-spectacular post-processing hooks of the OpenAPI document."""

from django.conf import settings


def app_version(result: dict, generator, request, public) -> dict:
    """Set `info.version` to the running `APP_VERSION`.

    `SPECTACULAR_SETTINGS["VERSION"]` is read once with the settings; reading `APP_VERSION` here
    keeps the document, the health answers and the X-App-Version header saying one thing.
    """
    result.setdefault("info", {})["version"] = settings.APP_VERSION
    return result
