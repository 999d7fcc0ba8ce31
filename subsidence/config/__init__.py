"""Case files: schema, loading, units, clear errors."""

from subsidence.config.case import KINDS, Case, case_from_dict, load_case
from subsidence.config.errors import CaseError
from subsidence.config.table import Table

__all__ = ["KINDS", "Case", "CaseError", "Table", "case_from_dict", "load_case"]
