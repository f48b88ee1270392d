import pytest
from django.core.exceptions import ValidationError

from plexus.core import validators as v
from plexus.core.demo.npi import make_npi


@pytest.mark.parametrize("npi", ["1234567893", "1654321094", "1987654328", "1456789019"])
def test_valid_npis_from_standards(npi):
    assert v.npi_is_valid(npi)


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678933", "3234567893", "abcdefghij", ""])
def test_invalid_npis(npi):
    assert not v.npi_is_valid(npi)
    with pytest.raises(ValidationError, match="NPI"):
        v.validate_npi(npi)


def test_generated_demo_npis_pass_the_check_digit():
    assert all(v.npi_is_valid(make_npi(n)) for n in range(1, 500, 7))


@pytest.mark.parametrize("code", ["171100000X", "207Q00000X", "261QM1300X", "1041C0700X"])
def test_taxonomy_ok(code):
    v.validate_taxonomy(code)


@pytest.mark.parametrize("code", ["171100000", "1711000000", "x71100000X", "207q00000x", ""])
def test_taxonomy_bad(code):
    with pytest.raises(ValidationError, match="taxonomy"):
        v.validate_taxonomy(code)


def test_time_zone():
    v.validate_time_zone("America/Denver")
    for bad in ("Mountain", "America/Atlantis", "", "MST7MDT "):
        with pytest.raises(ValidationError, match="time zone"):
            v.validate_time_zone(bad)


def test_phone_normalised_to_e164():
    assert v.normalize_phone("(503) 555-0142") == "+15035550142"
    assert v.normalize_phone("") == ""
    for bad in ("12", "555-CALL-NOW", "+1 000 000 0000"):
        with pytest.raises(ValidationError, match="phone"):
            v.normalize_phone(bad)


def test_email():
    assert v.normalize_email("Maria.Lopez@Example.com") == "Maria.Lopez@example.com"
    with pytest.raises(ValidationError, match="email"):
        v.normalize_email("maria@@example")


@pytest.mark.parametrize("code", ["99213", "97810", "0591T", "G0270", "S9445"])
def test_procedure_codes(code):
    v.validate_procedure_code(code)


@pytest.mark.parametrize("code", ["9921", "992133", "ABCDE", "0591X"])
def test_bad_procedure_codes(code):
    with pytest.raises(ValidationError):
        v.validate_procedure_code(code)


def test_modifiers_and_pos():
    v.validate_modifiers(["AT", "59"])
    with pytest.raises(ValidationError):
        v.validate_modifiers(["A", "59"])
    with pytest.raises(ValidationError):
        v.validate_modifiers(["25", "59", "XS", "GP", "KX"])
    v.validate_place_of_service("11")
    with pytest.raises(ValidationError, match="place-of-service"):
        v.validate_place_of_service("7A")
