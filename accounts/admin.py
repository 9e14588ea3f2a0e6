"""Users in the Django admin: Django's own user admin, adapted to the e-mail login.

The e-mail address is the login and is stored in lower case, and no two accounts may have
addresses that look alike (`accounts.emails`). Roles are the groups admin/staff/viewer (see
`accounts.roles`), given in the groups field.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError
from django.db.models import Q

from accounts.emails import email_key, normalize_email
from accounts.models import User
from accounts.services import EMAIL_TAKEN
from inventory_project.admin_helpers import AuditHistoryAdminMixin

# The demo sign-ins (admin@local, ...) use the single-label domain "local", which Django's e-mail
# validator refuses; the forms below accept it, so the demo users can be edited here too.
_validate_login_email = EmailValidator(allowlist=["localhost", "local"])


class _EmailTakenMeanwhile(Exception):
    """The save of a user found its address (or a look-alike) taken after the form's check."""


class LoginEmailField(forms.EmailField):
    default_validators = [_validate_login_email]


class EmailLoginFormMixin:
    """The e-mail login: stored normalized, unique regardless of case and look-alike letters."""

    # Set when the save found the address taken after this form's check had passed it.
    email_taken_meanwhile = False

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email", ""))
        if self.email_taken_meanwhile:
            raise ValidationError(EMAIL_TAKEN, code="unique")
        if self.instance.pk and email == normalize_email(self.instance.email):
            # An address kept as it is needs no check: a look-alike account made before keys
            # existed (its key is empty) must stay editable, to be deactivated or given a role.
            return email
        same = Q(email_key=email_key(email)) | Q(email__iexact=email)
        if User.objects.filter(same).exclude(pk=self.instance.pk).exists():
            raise ValidationError(EMAIL_TAKEN, code="unique")
        return email

    def _get_validation_exclusions(self):
        # clean_email has checked the address (format and uniqueness); the model field's own
        # validator would refuse the demo users' "@local" addresses.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("email")
        return exclusions


class UserCreationAdminForm(EmailLoginFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")
        field_classes = {"email": LoginEmailField}


class UserChangeAdminForm(EmailLoginFormMixin, UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "name",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        )
        field_classes = {"email": LoginEmailField}


@admin.register(User)
class UserAdmin(AuditHistoryAdminMixin, DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name",)}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "name", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    search_help_text = "Search by e-mail or name."
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    # The form's check and the save are two statements, so another request may take a
    # look-alike address between them; the unique key then refuses the save. The page is
    # answered again (its transaction rolled back) with the form error the check would give.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _EmailTakenMeanwhile:
            request.email_taken_meanwhile = True
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if getattr(request, "email_taken_meanwhile", False):
            form = type(form.__name__, (form,), {"email_taken_meanwhile": True})
        return form

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except IntegrityError:
            raise _EmailTakenMeanwhile from None

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            # An admin manages people and their roles, but cannot make anyone (itself included)
            # a superuser or hand out permissions beside the roles.
            readonly = (*readonly, "is_superuser", "is_staff", "user_permissions")
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


# The audit trail's own page, from django-auditlog, fitted to this user model (no first or last
# name to search) and read only: nobody deletes audit entries, superusers included.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(AuditlogLogEntryAdmin):
    search_fields = ["object_repr", "actor_email", "cid"]

    def has_delete_permission(self, request, obj=None):
        return False
