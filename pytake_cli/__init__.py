"""The ``pytake`` command line for admins and operators."""
