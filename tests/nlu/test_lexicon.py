"""The shipped e-commerce lexicon: shopper words in both languages map to shared concepts,
and a model trained on the demo knowledge base understands words it never taught."""

from __future__ import annotations

import pytest

from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.lexicon import load_lexicon
from relevo.nlu.text import tokens
from tests.nlu.conftest import best_reading

ENGLISH = [
    ("bill", "invoice"), ("receipt", "invoice"), ("receipts", "invoice"),
    ("rebate", "refund"), ("reimbursement", "refund"), ("compensation", "refund"),
    ("money back", "refund"), ("PIN", "password"), ("passcode", "password"),
    ("parcel", "order"), ("package", "shipping"), ("courier", "delivery"),
    ("cell", "phone"), ("mobile", "phone"), ("notebook", "laptop"),
    ("earbuds", "headphones"), ("earphones", "headphones"), ("charger", "charger"),
    ("profile", "account"), ("sign in", "login"), ("coupon", "discount"),
    ("faulty", "damaged"), ("guarantee", "warranty"),
]
SPANISH = [
    ("factura", "invoice"), ("recibo", "invoice"), ("ticket", "invoice"),
    ("reembolso", "refund"), ("devolución del dinero", "refund"), ("reintegro", "refund"),
    ("compensación", "refund"), ("dinero de vuelta", "refund"), ("clave", "password"),
    ("contraseña", "password"), ("paquete", "order"), ("envío", "shipping"),
    ("pedidos", "order"), ("entrega", "delivery"), ("mensajero", "delivery"),
    ("transportista", "delivery"), ("celular", "phone"), ("móvil", "phone"),
    ("portátil", "laptop"), ("computadora", "laptop"), ("auriculares", "headphones"),
    ("cascos", "headphones"), ("cargador", "charger"), ("perfil", "account"),
    ("iniciar sesión", "login"), ("cupón", "discount"),
]


@pytest.mark.parametrize(("phrase", "concept"), ENGLISH + SPANISH)
def test_a_shopper_word_names_its_concept(phrase: str, concept: str) -> None:
    words = tokens(phrase)
    language = "es" if (phrase, concept) in SPANISH else "en"
    found = load_lexicon().concepts(words, language)
    assert all(f"@{concept}" in per_word for per_word in found)


@pytest.mark.parametrize(
    ("text", "language"),
    [("cancelar la alarma de las 7", "es"), ("buenas tardes", "es"),
     ("what a lovely day", "en"), ("play some music", "en")],
)
def test_everyday_words_name_no_concept(text: str, language: str) -> None:
    assert not any(load_lexicon().concepts(tokens(text), language))


def test_each_language_ships_at_least_150_entries() -> None:
    import yaml

    from relevo.nlu.lexicon import lexicon_files

    for path in lexicon_files():
        concepts = yaml.safe_load(path.read_text(encoding="utf-8"))["concepts"]
        assert sum(len(phrases) for phrases in concepts.values()) >= 150, path.name


END_TO_END = [
    ("i need a receipt for my expenses", "invoices"),
    ("i want my rebate", "refund_timing"),
    ("when do i get my money back", "refund_timing"),
    ("forgot my PIN", "reset_password"),
    ("i lost my passcode", "reset_password"),
    ("where is my parcel", "order_tracking"),
    ("can i pay with my cell", "payment_methods"),
    ("the invocie for my order please", "invoices"),
    ("my new earbuds wont connect to my phone", "bluetooth_pairing"),
    ("is my purchase refunded yet", "refund_timing"),
    ("se me olvido la clave", "reset_password"),
    ("mi paquete no llega", "order_late"),
    ("no me llega el paquete", "order_late"),
    ("mis cascos no se conectan al movil", "bluetooth_pairing"),
    ("necesito la factrua", "invoices"),
    ("me dan un recibo de la compra?", "invoices"),
    ("cuando me devuelven el dinero", "refund_timing"),
    ("olvide mi contrasenia", "reset_password"),
    ("el transportista lleva una semana de retraso", "order_late"),
    ("i need my bill", "invoices"),
    ("que cargador sirve para mi portatil", "charger_compatibility"),
]


@pytest.fixture(scope="module")
def demo_nlu() -> EmbeddedNLU:
    from relevo.knowledge_base.training import examples_from_dir

    engine = EmbeddedNLU()
    engine.train_sync(examples_from_dir())
    return engine


@pytest.mark.parametrize(("text", "intent"), END_TO_END)
def test_the_demo_shop_answers_words_it_never_taught(
    demo_nlu: EmbeddedNLU, text: str, intent: str
) -> None:
    # answered, or (below the 0.75 threshold) offered as "did you mean …?"
    result = demo_nlu.parse_sync(text)
    assert best_reading(result).name == intent
    assert not result.out_of_scope


@pytest.mark.parametrize(
    "text", ["i want my rebate", "forgot my PIN", "compensation for my broken order"]
)
def test_an_untaught_shop_word_is_not_handed_off_as_off_topic(
    demo_nlu: EmbeddedNLU, text: str
) -> None:
    assert not demo_nlu.parse_sync(text).out_of_scope


def test_a_saved_model_keeps_its_speller_and_lexicon(
    demo_nlu: EmbeddedNLU, tmp_path: pytest.TempPathFactory
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "model.npz"
    demo_nlu.save(path)
    loaded = EmbeddedNLU.load(path)
    for text in ("necesito la factrua", "forgot my PIN", "i want my rebate"):
        assert loaded.parse_sync(text) == demo_nlu.parse_sync(text)


def test_a_changed_lexicon_changes_the_model_fingerprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from relevo.bot.nlu_types import TrainingExample
    from relevo.nlu import model_io

    examples = [TrainingExample("hola", "greet", "es")]
    before = model_io.fingerprint(examples)
    monkeypatch.setattr(model_io, "lexicon_version", lambda: "another lexicon")
    assert model_io.fingerprint(examples) != before
