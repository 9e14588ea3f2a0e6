"""Factories for the test suite. Stock is never made by a factory: it goes through the services,
so every fixture leaves the ledger it would leave in production."""

from decimal import Decimal

import factory

from accounts.models import User
from inventory.models import Location
from items.models import Item

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Item {n:05d}")
    category = "Dry goods"
    uom = "kg"
    reorder_min = Decimal("2")
    reorder_max = Decimal("20")
    par_level = Decimal("10")
    active = True


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC-{n:03d}")
    name = factory.Sequence(lambda n: f"Location {n}")
