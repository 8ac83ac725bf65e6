"""A campaign and a registry saved by a spreadsheet that read the phone columns as numbers,
through the whole CLI: each number read as the one it stands for, the registry still
blocking what it lists, and a number whose digits were lost rejected with why.
"""

from __future__ import annotations

from pathlib import Path

from callscrub import cli

NOW = "2026-11-23T08:00:00+01:00"  # Monday
SLOT = "24/11/2026 10:30"  # Tuesday, day first as French Excel writes it


def _rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_a_mangled_campaign_against_a_mangled_registry(tmp_path: Path, capsys) -> None:
    campaign = tmp_path / "campagne.csv"
    campaign.write_bytes(
        (
            "\r\n".join(
                [
                    "Client;phone;call_at",
                    f"A;612345678;{SLOT}",  # leading zero lost
                    f"B;612345679.0;{SLOT}",  # a float
                    f"C;6,12345682E+08;{SLOT}",  # scientific notation, French comma
                    f"D;262692123456;{SLOT}",  # Réunion mobile, + lost
                    f"E;33612345681.0;{SLOT}",  # + lost, and a float
                    f"F;6.12346E+08;{SLOT}",  # Excel rounded it: digits lost
                ]
            )
            + "\r\n"
        ).encode("utf-8")
    )
    registry = tmp_path / "opposition.csv"
    registry.write_text("numero\n33612345681.0\n6.12345679E+08\n", encoding="utf-8")
    code = cli.run(
        [
            "scrub",
            str(campaign),
            "--registry",
            str(registry),
            "--registry-date",
            "2026-11-22",
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--now",
            NOW,
            "--max-invalid",
            "100",
            "-q",
        ]
    )
    assert code == 0, capsys.readouterr().err
    clean = _rows(tmp_path / "clean.csv")
    assert [(r["Client"], r["phone_e164"]) for r in clean] == [
        ("A", "+33612345678"),
        ("C", "+33612345682"),
        ("D", "+262692123456"),
    ]
    rejects = {r["Client"]: r for r in _rows(tmp_path / "rejects.csv")}
    assert rejects["B"]["reason"] == "registry"  # 612345679.0 = 6.12345679E+08 in the registry
    assert rejects["E"]["reason"] == "registry"
    assert rejects["F"]["reason"] == "invalid_number"
    assert rejects["F"]["detail"] == (
        "not a valid phone number: written in scientific notation with digits lost"
        " (Excel rounds long numbers): export the column as text"
    )
    assert "12346" not in capsys.readouterr().err
