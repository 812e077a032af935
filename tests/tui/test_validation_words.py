"""The console's form checks say pydantic's refusals in the reader's language: worded from the
error's type and context values, with plural forms and the locale's numbers."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from pytake_daemon.protocol.onboarding import TenantProfile
from pytake_i18n import use_language
from pytake_tui.api.transport import summarize
from pytake_tui.validation_words import validation_sentence
from pytake_tui.widgets.admin_form import validation_problems


class _Form(BaseModel):
    name: str = Field(min_length=3, max_length=5)
    share: float = Field(gt=0.5)
    items: list[int] = Field(min_length=2)
    count: int = 0


def _refusal(**values: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(values)
    return caught.value


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            ["Write at least 3 characters", "Must be greater than 0.5", "Give at least 2 items"],
        ),
        (
            "pt_BR",
            [
                "Escreva pelo menos 3 caracteres",
                "Deve ser maior que 0,5",
                "Informe pelo menos 2 itens",
            ],
        ),
    ],
)
def test_each_refusal_is_worded_with_its_values(language: str, expected: list[str]) -> None:
    error = _refusal(name="ab", share=0.25, items=[1])
    with use_language(language):
        assert [why for _field, why in validation_problems(error)] == expected


def test_the_onboarding_wizards_empty_business_name_in_both_languages() -> None:
    with pytest.raises(ValidationError) as caught:
        TenantProfile.model_validate({"business_name": "  "})
    with use_language("en"):
        assert validation_problems(caught.value) == [
            ("business_name", "Write at least 1 character")
        ]
    with use_language("pt_BR"):
        assert validation_problems(caught.value) == [
            ("business_name", "Escreva pelo menos 1 caractere")
        ]
        assert summarize(caught.value) == "business_name: Escreva pelo menos 1 caractere"


@pytest.mark.parametrize(
    ("error", "english", "portuguese"),
    [
        ({"type": "missing"}, "Required", "Obrigatório"),
        ({"type": "int_parsing"}, "Write a whole number", "Escreva um número inteiro"),
        (
            {"type": "string_too_long", "ctx": {"max_length": 1}},
            "At most 1 character",
            "No máximo 1 caractere",
        ),
        (
            {"type": "less_than_equal", "ctx": {"le": 1500}},
            "Must be 1,500 or less",
            "Deve ser 1.500 ou menos",
        ),
        (
            {"type": "literal_error", "ctx": {"expected": "'a', 'b' or 'c'"}},
            "Choose one of: 'a', 'b', 'c'",
            "Escolha um destes: 'a', 'b', 'c'",
        ),
        ({"type": "something_new", "msg": "Input is odd"}, "Not a valid value", "Valor inválido"),
    ],
)
def test_a_type_is_said_in_either_language(
    error: dict[str, object], english: str, portuguese: str
) -> None:
    with use_language("en"):
        assert validation_sentence(error) == english
    with use_language("pt_BR"):
        assert validation_sentence(error) == portuguese
