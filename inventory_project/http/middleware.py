"""HTTP middleware of the platform layer."""

from csp.middleware import CSPMiddleware
from django.conf import settings

from inventory_project.http.request_context import (
    reset_request_id,
    sanitize_request_id,
    set_request_id,
)

REQUEST_ID_HEADER = "X-Request-ID"
APP_VERSION_HEADER = "X-App-Version"


class AppVersionMiddleware:
    """Name the running version (`APP_VERSION`) on every response, errors and 404s included.

    Clients and the load balancer's logs can then tell which release answered, e.g. during a
    rolling deploy where two versions serve side by side.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response[APP_VERSION_HEADER] = settings.APP_VERSION
        return response


class HtmlContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy (`CONTENT_SECURITY_POLICY`), on HTML answers only.

    A policy governs what a browser loads into a page, so only pages need one: the admin and the
    API docs. JSON, CSV, JavaScript and the metrics text go without it, which keeps a hundred
    bytes off every API answer.
    """

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)


class RequestIdMiddleware:
    """Give every request an id (an incoming sane X-Request-ID, or a new one) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sanitize_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
