"""Phone numbers: normalisation to E.164 keys, number type and country."""
