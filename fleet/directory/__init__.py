"""The staff directory: the source of truth about people."""

from fleet.directory.base import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, Directory, Person
from fleet.directory.ldap import LdapDirectory
from fleet.directory.settings import directory_from_config

__all__ = ["ROLE_AUDITOR", "ROLE_EMPLOYEE", "ROLE_IT", "Directory", "Person", "LdapDirectory", "directory_from_config"]
