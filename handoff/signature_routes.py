"""`GET|PUT /api/operators/me/signatures`: an operator reads and replaces their own
signatures per language (admins edit anyone's with `PATCH /api/operators/{id}`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from relevo.bot.store import operators as operator_store
from relevo.handoff import operator_audit, signatures
from relevo.handoff.http import CurrentOperator, operator_actor
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff


class SignatureFields(BaseModel):
    """One language's signature: "Lucía · experta". Either may be left out: the
    operator's display name and their kind's title fill in."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=signatures.MAX_NAME)
    title: str | None = Field(None, max_length=signatures.MAX_TITLE)


# Language (a configured one) → signature; null removes it.
SignatureMap = dict[str, SignatureFields | None]


class SignaturesBody(BaseModel):
    """All of an operator's signatures: replaces the ones they had."""

    model_config = ConfigDict(extra="forbid")

    signatures: SignatureMap


class SignaturesView(BaseModel):
    signatures: dict[str, SignatureFields]
    languages: list[str] = Field(description="The shop's languages, one signature each.")
    previews: dict[str, str] = Field(
        description='What shoppers see per language, e.g. {"es": "Lucía · experta"}.'
    )
    defaults: dict[str, SignatureFields] = Field(
        description="Per language, what applies where you set nothing: your display "
                    "name and your kind's title."
    )


def signature_routes(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    @router.get("/operators/me/signatures")
    async def my_signatures(operator: OperatorState = Depends(current)) -> SignaturesView:
        """Your signatures per language and what shoppers see in each language."""
        return view(handoff, operator)

    @router.put("/operators/me/signatures")
    async def set_my_signatures(
        body: SignaturesBody, request: Request, operator: OperatorState = Depends(current),
    ) -> SignaturesView:
        """Replace your signatures (a language left out, or null, uses the default)."""
        try:
            stored = signatures.to_json(signatures.parse(
                {k: v.model_dump() if v else None for k, v in body.signatures.items()},
                handoff.languages,
            ))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        async with handoff.database.write() as conn:
            before = await operator_store.get(conn, operator.id)
            after = await operator_store.update(conn, operator.id, signatures=stored)
            if before is None or after is None:
                raise HTTPException(404, f"operator {operator.id} does not exist")
            await operator_audit.changed(conn, operator_actor(operator, request), before, after,
                                         handoff.now())
        return view(handoff, handoff.state.operators.upsert(after))


def view(handoff: Handoff, operator: OperatorState) -> SignaturesView:
    return SignaturesView(
        signatures={language: SignatureFields(**fields) for language, fields
                    in signatures.to_json(operator.signatures).items()},
        languages=list(handoff.languages),
        previews=signatures.previews(operator.signature, operator.kind, operator.signatures,
                                     handoff.languages),
        defaults={language: SignatureFields(
            name=operator.signature, title=signatures.kind_title(operator.kind, language))
            for language in handoff.languages},
    )
