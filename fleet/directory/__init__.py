"""The staff directory: the source of truth about people."""

from flask import current_app

from fleet.directory.base import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, Directory, Person
from fleet.directory.ldap import LdapDirectory
from fleet.directory.settings import directory_from_config


def get_directory() -> Directory:
    """The app's directory (bound in create_app)."""
    return current_app.extensions["fleet_directory"]


__all__ = ["ROLE_AUDITOR", "ROLE_EMPLOYEE", "ROLE_IT", "Directory", "Person", "LdapDirectory", "directory_from_config",
           "get_directory"]
