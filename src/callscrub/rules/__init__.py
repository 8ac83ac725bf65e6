"""Rule packs: the model, its loading from TOML data, jurisdictions and holidays."""
