"""Rule parameters and evaluation (to be written)."""


def validate_params(kind, params) -> None:
    """Raise ValidationError({"params": ...}) if ``params`` do not suit the rule ``kind``."""
