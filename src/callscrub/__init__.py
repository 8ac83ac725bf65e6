"""callscrub: scrub outbound call lists against registries and legal calling windows.

The library's surface, importable from here in one line: the scrub itself
(`scrub`, `ScrubOptions`, `ScrubResult`, `split_campaign`), the rule packs,
the loaders of each input, and the errors (each with the exit status the
command line maps it to). `callscrub.cli` is the command line over them.
"""

from callscrub.core.checks.consent import ConsentColumns, Screened
from callscrub.core.checks.registry import Registry
from callscrub.core.explain import explain_number
from callscrub.core.history import History
from callscrub.core.quality import quality_gate
from callscrub.core.scrub import ScrubOptions, ScrubResult, scrub, split_campaign
from callscrub.errors import (
    CallscrubError,
    ConsentRequired,
    DataQualityError,
    ExitStatus,
    InputError,
    MissingColumn,
    OutputError,
    RulesError,
    StaleRegistry,
    UsageError,
)
from callscrub.io.consent_files import load_consent, load_screened
from callscrub.io.file_options import FileOptions
from callscrub.io.history import HistoryColumns, load_history
from callscrub.io.readers import Table, read_table
from callscrub.io.registries import load_registry
from callscrub.io.snapshot import load_snapshot
from callscrub.phone.normalise import normalise
from callscrub.rules.load import load_packs, load_rules
from callscrub.rules.model import RuleSet
from callscrub.version import __version__

__all__ = [
    "CallscrubError",
    "ConsentColumns",
    "ConsentRequired",
    "DataQualityError",
    "ExitStatus",
    "FileOptions",
    "History",
    "HistoryColumns",
    "InputError",
    "MissingColumn",
    "OutputError",
    "Registry",
    "RuleSet",
    "RulesError",
    "Screened",
    "ScrubOptions",
    "ScrubResult",
    "StaleRegistry",
    "Table",
    "UsageError",
    "__version__",
    "explain_number",
    "load_consent",
    "load_history",
    "load_packs",
    "load_registry",
    "load_rules",
    "load_screened",
    "load_snapshot",
    "normalise",
    "quality_gate",
    "read_table",
    "scrub",
    "split_campaign",
]
