"""Provider adapters and the price catalog (cloud SDKs are imported lazily, inside adapters)."""
