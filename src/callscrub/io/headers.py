"""Columns found as people name them: the headers of CRM and dialer exports.

A campaign saved by a French or Italian call centre says `Téléphone`,
`Tél. portable`, `Date d'appel`, `Code postal`, `CAP`; a VICIdial call log
says `phone_number`, `call_date`, `status` (INPUTS.md). When the column a
setting names by default is absent, the file's headers are compared with the
well-known names of that use, folded (accents, case and punctuation ignored:
`Tél. portable` is `tel_portable`). Only whole names match: `Numéro client`
is not a phone column, though `Numéro` is.

Two headers of one use is not a guess to make (a landline and a mobile: which
one is called?): AmbiguousColumn, a usage error naming both, for the caller
to word with the option or setting that chooses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from callscrub.errors import UsageError

# The folded names of each use (fold_header). Lists, not patterns: a header
# matches only when it is one of them, so a customer's name (`Client`) or an
# id (`Numéro client`) is never taken for the data a check reads.
PHONE_NAMES = (
    "phone",
    "phone_number",
    "phonenumber",
    "telephone",
    "telephone_number",
    "tel",
    "tel_portable",
    "tel_mobile",
    "tel_fixe",
    "telephone_portable",
    "telephone_mobile",
    "telephone_fixe",
    "numero",
    "numero_de_telephone",
    "numero_telephone",
    "numero_tel",
    "num_tel",
    "no_tel",
    "mobile",
    "mobile_phone",
    "portable",
    "gsm",
    "cell",
    "cellphone",
    "cell_phone",
    "cellulare",
    "telefono",
    "telefono_cellulare",
    "telefono_fisso",
    "numero_di_telefono",
    "numero_telefono",
    "movil",
    "msisdn",
)
CALL_TIME_NAMES = (
    "call_at",
    "call_time",
    "call_date",
    "call_datetime",
    "date_d_appel",
    "date_appel",
    "date_heure",
    "date_et_heure",
    "date_heure_appel",
    "date_heure_d_appel",
    "date_de_l_appel",
    "data_chiamata",
    "data_ora",
    "data_e_ora",
    "data_ora_chiamata",
    "fecha_llamada",
    "fecha_hora",
)
POSTAL_CODE_NAMES = (
    "postal_code",
    "code_postal",
    "cp",
    "cap",
    "zip",
    "zip_code",
    "zipcode",
    "postcode",
    "post_code",
    "codice_postale",
    "codigo_postal",
)
# A current contract as a yes/no column. Not `client`: that is a customer's name.
CONTRACT_NAMES = (
    "current_contract",
    "client_actuel",
    "est_client",
    "deja_client",
    "contrat_en_cours",
    "contrat_actif",
    "cliente_attuale",
    "gia_cliente",
    "contratto_attivo",
    "current_customer",
    "existing_customer",
    "is_customer",
)

# History files (dialer call logs): VICIdial's vicidial_log, French dialers.
HISTORY_PHONE_NAMES = (*PHONE_NAMES, "number", "numero_appele", "called_number")
HISTORY_TIME_NAMES = (
    "called_at",
    *CALL_TIME_NAMES,
    "date",
    "data",
    "fecha",
    "start_time",
    "date_debut",
)
HISTORY_OUTCOME_NAMES = (
    "outcome",
    "status",
    "statut",
    "statut_appel",
    "call_status",
    "result",
    "resultat",
    "resultat_appel",
    "qualification",
    "issue",
    "disposition",
    "esito",
)

# Consent files.
CONSENT_PHONE_NAMES = HISTORY_PHONE_NAMES
CONSENT_GIVEN_NAMES = (
    "consent_at",
    "consent_date",
    "consent",
    "opt_in_date",
    "date_opt_in",
    "optin_date",
    "date_consentement",
    "date_du_consentement",
    "consentement",
    "consenti_le",
    "data_consenso",
    "consenso",
)
CONSENT_REVOKED_NAMES = (
    "revoked_at",
    "revoked",
    "revocation_date",
    "opt_out_date",
    "date_opt_out",
    "optout_date",
    "date_retrait",
    "date_de_retrait",
    "retrait",
    "date_revocation",
    "revoque_le",
    "data_revoca",
    "revoca",
)
CONSENT_SOURCE_NAMES = ("source", "origine", "provenance", "canal", "origin", "channel", "fonte")

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold_header(name: str) -> str:
    """A header folded for matching: accents dropped, lower case, every run of
    other characters one underscore, none at the ends (`Tél. portable` is
    `tel_portable`, `Date d'appel` `date_d_appel`, `Date/heure` `date_heure`)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return _NOT_ALNUM.sub("_", plain).strip("_")


class AmbiguousColumn(UsageError):
    """Several headers of `columns` are well-known names of one use (`use`:
    "phone number", "call time"...) in the file `path`: `candidates` as
    written; `key` names the use as a file's column setting (phone, time,
    outcome, consent, revoked, source; "" when none). A usage error: the user
    says which (the caller words the option)."""

    def __init__(self, path: str, use: str, candidates: Sequence[str], key: str = "") -> None:
        self.path, self.use, self.candidates, self.key = path, use, tuple(candidates), key
        names = " and ".join(repr(c) for c in self.candidates)
        super().__init__(f"{path}: columns {names} could each be the {use} column; name one.")


def recognised(
    columns: Iterable[str], names: Sequence[str], *, path: str, use: str, key: str = ""
) -> str | None:
    """The one header of `columns` whose folded form is among `names` (None:
    no such header). Two or more raise AmbiguousColumn (`use`, `key` for it)."""
    wanted = set(names)
    found = [c for c in columns if fold_header(c) in wanted]
    if len(found) > 1:
        raise AmbiguousColumn(path, use, found, key)
    return found[0] if found else None


def column_for(
    columns: Sequence[str],
    name: str,
    default: str,
    names: Sequence[str],
    *,
    path: str,
    use: str,
    key: str = "",
) -> tuple[str, bool]:
    """The column a setting `name` stands for, and whether it was found by a
    recognised name: `name` itself when the file has it; else, only when
    `name` is the `default` (nobody named the column), the one recognised
    header of `names`; else `name` (the caller reports it missing)."""
    if name in columns or name != default:
        return name, False
    found = recognised(columns, names, path=path, use=use, key=key)
    return (found, True) if found is not None else (name, False)
