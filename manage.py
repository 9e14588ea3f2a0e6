#!/usr/bin/env python
"""Django's command-line entry point for the inventory backend."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from inventory_project.audit import command_audit_context

    # Whatever a command changes (an import, a new superuser, a shell session) is audited as
    # coming from that command, with the operating system user that ran it.
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    with command_audit_context(command):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
