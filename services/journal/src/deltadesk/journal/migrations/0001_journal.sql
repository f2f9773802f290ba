-- 0001: the journal's tables. Money is NUMERIC, instants timestamptz, Greeks double precision.
-- Snapshots and order events become TimescaleDB hypertables when the extension is installed
-- (the runner enables it when it can); every unique key of theirs holds the time column, as a
-- hypertable requires. Nothing here uses a feature of TimescaleDB's community (TSL) edition.

CREATE TABLE journal_orders (
    order_id uuid PRIMARY KEY,
    account text NOT NULL,
    broker text NOT NULL,
    broker_order_id text,
    underlying text NOT NULL,
    status text NOT NULL,
    status_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    "order" jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journal_fills (
    entry_id uuid PRIMARY KEY,
    filled_at timestamptz NOT NULL,
    broker text NOT NULL,
    account text NOT NULL,
    order_id uuid NOT NULL REFERENCES journal_orders (order_id),
    broker_order_id text NOT NULL,
    fill_id text NOT NULL,
    underlying text NOT NULL,
    strategy text NOT NULL,
    legs jsonb NOT NULL,
    quantity numeric NOT NULL,
    net_price numeric,
    net_debit_credit numeric NOT NULL,
    commission numeric,
    vix double precision,
    spx_price double precision,
    regime text,
    pre_trade jsonb,
    post_trade jsonb,
    rationale text NOT NULL DEFAULT '',
    ai_rationale text,
    suggestion_id uuid,
    event_id uuid NOT NULL,
    journaled_at timestamptz NOT NULL DEFAULT now(),
    -- a redelivered or republished fill is the same fill: it changes nothing
    CONSTRAINT journal_fills_one_per_broker_fill UNIQUE (broker, broker_order_id, fill_id)
);

CREATE INDEX journal_fills_newest ON journal_fills (filled_at DESC, entry_id DESC);
CREATE INDEX journal_fills_account ON journal_fills (account, filled_at DESC);
CREATE INDEX journal_fills_underlying ON journal_fills (underlying, filled_at DESC);
CREATE INDEX journal_fills_strategy ON journal_fills (lower(strategy), filled_at DESC);
CREATE INDEX journal_fills_regime ON journal_fills (regime, filled_at DESC);
CREATE INDEX journal_fills_order ON journal_fills (order_id);
CREATE INDEX journal_orders_status ON journal_orders (status);

CREATE TABLE journal_order_events (
    event_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    order_id uuid NOT NULL,
    account text NOT NULL,
    state text NOT NULL,
    previous_state text,
    broker_order_id text,
    filled_quantity numeric NOT NULL,
    code text,
    reason text,
    payload jsonb NOT NULL,
    PRIMARY KEY (event_id, occurred_at)
);

CREATE INDEX journal_order_events_order ON journal_order_events (order_id, occurred_at DESC);

CREATE TABLE journal_snapshots (
    account text NOT NULL,
    captured_at timestamptz NOT NULL,
    broker text,
    net_liquidation numeric,
    cash numeric,
    spx_delta double precision,
    gamma double precision,
    theta double precision,
    vega double precision,
    theta_delta_ratio double precision,  -- NULL when delta is 0
    vix double precision,
    spx_price double precision,
    regime text,
    risk_state text NOT NULL,  -- ok, halted (no Greeks), missing (no fresh risk update)
    paper boolean NOT NULL,    -- simulated: the paper broker's market, or seeded history
    source text NOT NULL,      -- live (the logger) or seed (seed-history)
    -- one snapshot per account and instant of the interval's grid: a restart never writes twice
    PRIMARY KEY (account, captured_at)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        PERFORM create_hypertable('journal_snapshots', 'captured_at',
                                  chunk_time_interval => INTERVAL '30 days');
        PERFORM create_hypertable('journal_order_events', 'occurred_at',
                                  chunk_time_interval => INTERVAL '30 days');
    END IF;
END
$$;
