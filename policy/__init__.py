"""The CrossGuard policy pack: importable rules, also run offline by `estate preview`."""
