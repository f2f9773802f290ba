"""The paper venue's pure core: pricing, the simulated market, contracts, accounts and margin."""
