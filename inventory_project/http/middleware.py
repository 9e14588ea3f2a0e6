"""HTTP middleware of the platform layer."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import middleware as django_auth
from django.contrib.messages import middleware as django_messages
from django.contrib.sessions import middleware as django_sessions

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


# The routes a machine calls with a bearer token (or none): the API, the v20 job routes, metrics.
MACHINE_PATH_PREFIXES = ("/api/", "/jobs/", "/metrics")


def carries_browser_session(request) -> bool:
    """Whether a request may be a browser's: it bears the session cookie, or asks for a page.

    A page is anything outside the machine routes (the admin, its login form). The API is
    called with bearer tokens and serves nothing from a session, so an API call without the
    session cookie has nothing for the session, user and message middleware to do. (CSRF stays
    on for every request: DRF's views are exempt from Django's check and make their own for a
    session-authenticated call.) A browser signed in to the admin that calls the API sends its
    cookie, and gets all of them.
    """
    return (
        not request.path_info.startswith(MACHINE_PATH_PREFIXES)
        or settings.SESSION_COOKIE_NAME in request.COOKIES
    )


class BrowserOnlyMiddleware:
    """Mixin: run one of Django's middleware only for requests that `carries_browser_session`.

    Each subclass is also that middleware (so the admin's checks find it in `MIDDLEWARE`) and
    stands where it would; for any other request it hands straight on.
    """

    def __call__(self, request):
        if carries_browser_session(request):
            return super().__call__(request)
        return self.get_response(request)


class SessionMiddleware(BrowserOnlyMiddleware, django_sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(BrowserOnlyMiddleware, django_auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserOnlyMiddleware, django_messages.MessageMiddleware):
    pass


class ReleaseRenderedViewMiddleware:
    """Break the reference cycles DRF leaves around a response once the response is rendered.

    DRF's view keeps its response (`view.response`); the response keeps its render context,
    which holds the view, the request and the response itself. Everything a response carries (a
    whole list of rows and its JSON) would so live on until the collector's next full pass:
    measured, each uncached 20,000-row stock list left 31 MB behind in a worker until then.
    Broken here, the response and its rows go as soon as the server has sent it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Rendered by now: Django renders a template response before middleware get it back,
        # and nothing reads the render context after that.
        context = getattr(response, "renderer_context", None)
        if context:
            view = context.get("view")
            if view is not None:
                view.response = None
            response.renderer_context = None
        return response
