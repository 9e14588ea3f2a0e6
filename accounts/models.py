"""The user model: e-mail is the login; `name` is how the UI and the ledger call a person.

What counts as one address (case, compatibility forms, look-alike letters) is `accounts.emails`.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.emails import email_key, normalize_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_email(self, address: str):
        """The user an address stands for; `DoesNotExist` if none.

        The account stored with exactly this address, else the one whose address looks like it
        (same `email_key`): the failed-login counters count on that key, so every spelling that
        reaches an account counts on its counter. The exact match first keeps look-alike
        accounts made before keys existed (their key is empty) reachable by their own address.
        """
        user = self.filter(email=normalize_email(address)).first()
        if user is not None:
            return user
        return self.get(email_key=email_key(address))

    def get_by_natural_key(self, username):
        # Every entry point that finds a user by its login (sign-in, createsuperuser) comes here.
        return self.get_by_email(username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    # Unique, so two accounts never share one identity. NULL (not "", which would be one more
    # value under the unique index) for an account made before keys whose address looked like
    # an older one's: such accounts are left as they were.
    email_key = models.CharField(  # noqa: DJ001
        "e-mail identity",
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        help_text="SHA-256 of the address's look-alike skeleton (accounts.emails).",
    )
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        "admin site access", default=False, help_text="May sign in to the admin site."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        permissions = [("run_jobs", "Can run maintenance jobs through the API")]
        constraints = [
            # Logins are case-insensitive, so addresses must be unique regardless of case.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_uniq"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        # The key follows the address on every source (service, admin, createsuperuser,
        # factories); an account left without one keeps it empty.
        if self._state.adding or self.email_key is not None:
            self.email_key = email_key(self.email)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "email" in update_fields:
                kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email
