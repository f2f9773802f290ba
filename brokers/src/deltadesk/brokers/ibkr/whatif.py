"""IBKR's what-if answer read into a `WhatIf`.

`POST /iserver/account/{accountId}/orders/whatif` answers display strings (`"1,977.60 USD (10
Shares)"`, `"116,965"`, `"-1"`), read by `figures.parse_amount`. A `warn` (`"21/You are trying to
submit an order without having market data…"`) and reply messages are kept, word for word, as
warnings; an `error` is IBKR saying no.
"""

from __future__ import annotations

from deltadesk.brokers.ibkr.figures import parse_amount
from deltadesk.brokers.ibkr.wire import WhatIfChange, WhatIfResponse
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.orders import WhatIf


def build_whatif(answer: WhatIfResponse, questions: tuple[str, ...] = ()) -> WhatIf:
    if answer.error:
        raise BrokerRejected(f"IBKR what-if: {answer.error}")
    initial = answer.initial or WhatIfChange()
    maintenance = answer.maintenance or WhatIfChange()
    equity = answer.equity or WhatIfChange()
    warnings = list(questions)
    if answer.warn:
        warnings.append(answer.warn.strip())
    return WhatIf(
        initial_margin_before=parse_amount(initial.current),
        initial_margin_change=parse_amount(initial.change),
        initial_margin_after=parse_amount(initial.after),
        maintenance_margin_before=parse_amount(maintenance.current),
        maintenance_margin_change=parse_amount(maintenance.change),
        maintenance_margin_after=parse_amount(maintenance.after),
        equity_with_loan_after=parse_amount(equity.after),
        commission=parse_amount(answer.amount.commission) if answer.amount else None,
        warnings=tuple(warnings),
    )
