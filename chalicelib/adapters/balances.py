"""Sharers' balances and the payouts credited to them."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.timeutil import format_instant, parse_instant
from ..services.order_ports import Payout
from .tables import OperationsModels


class DynamoBalances:
    """Balance rows ("balance#<user>") and payout rows ("payout#<order>") in one table, written in one transaction."""

    def __init__(self, models: OperationsModels, connection: Any) -> None:
        self.model = models.balances
        self.connection = connection

    def credit(self, p: Payout) -> bool:
        record = self.model(f"payout#{p.payout_id}", account_id=p.account_id, amount_minor=p.amount_minor, fee_minor=p.fee_minor,
                            currency=p.currency, created_at=format_instant(p.created_at))
        balance = self.model(f"balance#{p.account_id}")
        try:
            with TransactWrite(connection=self.connection) as tx:
                tx.save(record, condition=self.model.pk.does_not_exist())
                tx.update(balance, actions=[self.model.balance_minor.add(p.amount_minor), self.model.currency.set(p.currency)],
                          condition=self.model.currency.does_not_exist() | (self.model.currency == p.currency))
        except TransactWriteError as exc:
            codes = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def balance(self, account_id: str) -> tuple[int, str | None]:
        try:
            item = self.model.get(f"balance#{account_id}", consistent_read=True)
        except DoesNotExist:
            return 0, None
        return int(item.balance_minor or 0), item.currency

    def payouts(self, payout_ids: list[str]) -> list[Payout]:
        keys = [f"payout#{i}" for i in dict.fromkeys(payout_ids)]
        return [Payout(i.pk.split("#", 1)[1], i.account_id, int(i.amount_minor or 0), int(i.fee_minor or 0), i.currency,
                       parse_instant(i.created_at, field="created_at"))
                for i in self.model.batch_get(keys, consistent_read=True)]
