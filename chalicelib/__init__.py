"""CarParker: private parking sharing with a BFT-certified evidence ledger."""

VERSION = "0.1.0"
