"""Execution's pure rules: approvals, pre-trade controls, order states."""
