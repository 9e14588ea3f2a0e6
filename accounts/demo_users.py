"""The demo sign-ins of README (admin@local, staff@local, viewer@local), and ensuring them.

    admin@local  / admin123   superuser, role admin
    staff@local  / staff123   role staff: edits items, locations and stock in the admin
    viewer@local / viewer123  role viewer: reads everything, changes nothing

What each may do comes from the roles table (`accounts.roles`), given through the accounts
services, so the demo users can do exactly what real users of their role can. Their weak
passwords are the documented exception to password validation. Ensuring them again puts the
users back in that state (password, role, active) and leaves what is already right untouched,
so their sessions and tokens survive. An account whose address only looks like a demo address
is never taken for the demo user: ensuring is refused instead.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.emails import normalize_email
from accounts.roles import Role
from accounts.services import EMAIL_TAKEN, user_create, user_set_password, user_set_role
from inventory_project.service_errors import ConflictError


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    name: str
    role: Role
    superuser: bool = False


DEMO_USERS = (
    DemoUser("admin@local", "admin123", "Demo Admin", Role.ADMIN, superuser=True),
    DemoUser("staff@local", "staff123", "Demo Staff", Role.STAFF),
    DemoUser("viewer@local", "viewer123", "Demo Viewer", Role.VIEWER),
)


def ensure_demo_user(demo: DemoUser) -> str:
    """Create the demo user or reset it to its demo state: "created", "updated" or "unchanged"."""
    user_model = get_user_model()
    try:
        user = user_model.objects.get_by_email(demo.email)
    except user_model.DoesNotExist:
        user = None
    if user is not None and normalize_email(user.email) != demo.email:
        # Not the demo user: someone's account whose address looks like it. Giving it the demo
        # password and role would hand that account to anyone who reads README.
        raise ConflictError(f"{EMAIL_TAKEN} ({user.email})", code="email_taken", field="email")
    if user is None:
        user = user_create(
            email=demo.email,
            password=demo.password,
            name=demo.name,
            role=demo.role,
            check_password_strength=False,  # the documented exception: demo use only
        )
        status = "created"
    else:
        status = "unchanged"
        roles = set(user.groups.filter(name__in=list(Role)).values_list("name", flat=True))
        if roles != {demo.role.value}:
            user_set_role(user=user, role=demo.role)
            status = "updated"
    changed = []
    if not user.check_password(demo.password):
        user_set_password(user=user, password=demo.password, check_password_strength=False)
        status = "updated"
    flags = {"is_active": True, "is_staff": True, "is_superuser": demo.superuser}
    for name, value in flags.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=changed)
    # A demo user may do what its role allows, nothing given to the user directly.
    if user.user_permissions.exists():
        user.user_permissions.clear()
        changed.append("user_permissions")
    if changed and status == "unchanged":
        status = "updated"
    return status
